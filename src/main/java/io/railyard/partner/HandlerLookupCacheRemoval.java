package io.railyard.partner;

import java.util.List;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.config.ConstructorArgumentValues.ValueHolder;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.security.web.context.AbstractSecurityWebApplicationInitializer;

/**
 * Takes Spring MVC's handler look-up cache back out of the security filter chain. Spring Security 6.5 puts
 * {@code HandlerMappingIntrospector#createCacheFilter()} in front of its chain whenever Spring MVC is present (Hawtio
 * and the actuator bring it), so that its Spring MVC request matchers find a request's handler once. The filter finds
 * it on every request, before the chain runs: every Spring MVC mapping tried against the partner API's paths, which
 * Camel's servlet serves, 4.8 % of the hub's CPU. This chain's matchers are path patterns
 * ({@link SecurityConfig#pathPatternRequestMatchers()}) and ask Spring MVC nothing. Spring Security 7 drops the filter.
 * <p>
 * Spring Security wraps its chain's bean definition in composites of two filters (the cache and the chain; the
 * request path's parser and the chain). This runs once every definition is registered: the composite holding the
 * cache becomes the filter it wrapped. {@code AuthTest} fails if a Spring Security upgrade wraps it otherwise.
 */
final class HandlerLookupCacheRemoval implements BeanFactoryPostProcessor {

    private static final String CHAIN = AbstractSecurityWebApplicationInitializer.DEFAULT_FILTER_NAME;

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        if (beanFactory instanceof BeanDefinitionRegistry registry && registry.containsBeanDefinition(CHAIN)) {
            BeanDefinition chain = registry.getBeanDefinition(CHAIN);
            BeanDefinition unwrapped = withoutCache(chain);
            if (unwrapped != chain) {
                registry.removeBeanDefinition(CHAIN);
                registry.registerBeanDefinition(CHAIN, unwrapped);
            }
        }
    }

    /** The filter the cache wrapped, if this is that composite; else this filter, with its parts unwrapped. */
    private static BeanDefinition withoutCache(BeanDefinition filter) {
        List<Object> parts = parts(filter);
        if (parts.isEmpty()) {
            return filter;
        }
        if (parts.size() == 2 && parts.stream().anyMatch(HandlerLookupCacheRemoval::isCache)) {
            return (BeanDefinition) parts.stream().filter(part -> !isCache(part)).findFirst().orElseThrow();
        }
        parts.replaceAll(part -> withoutCache((BeanDefinition) part));
        return filter;
    }

    /** A composite filter's parts (its one constructor argument, a list of definitions); none for any other filter. */
    @SuppressWarnings("unchecked")
    private static List<Object> parts(BeanDefinition filter) {
        ValueHolder argument = filter.getConstructorArgumentValues().getIndexedArgumentValue(0, null);
        if (argument != null && argument.getValue() instanceof List<?> parts && !parts.isEmpty()
                && parts.stream().allMatch(BeanDefinition.class::isInstance)) {
            return (List<Object>) parts;
        }
        return List.of();
    }

    private static boolean isCache(Object filter) {
        String type = ((BeanDefinition) filter).getBeanClassName();
        return type != null && type.endsWith("HandlerMappingIntrospectorCacheFilterFactoryBean");
    }
}
