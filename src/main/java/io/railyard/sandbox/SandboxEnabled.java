package io.railyard.sandbox;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;

/** A sandbox bean: present only with {@code railyard.sandbox.enabled=true} (config/application.yaml; prod sets false). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Documented
@ConditionalOnProperty(name = "railyard.sandbox.enabled", havingValue = "true")
@interface SandboxEnabled {
}
