package io.railyard.connector;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

/**
 * For connector YAML building a bulk request: a split whose steps turn each line into a JSON object (a string) ends
 * with the JSON array of them as its body, in line order ({@code aggregationStrategy: "#jsonArrayOfBodies"}).
 */
@Component("jsonArrayOfBodies")
class JsonArrayOfBodies implements AggregationStrategy {

    private static final String ITEMS = "railyardJsonArrayItems";

    @Override
    public Exchange aggregate(Exchange collected, Exchange line) {
        Exchange result = collected == null ? line : collected;
        @SuppressWarnings("unchecked")
        List<String> items = result.getProperty(ITEMS, List.class);
        if (items == null) {
            items = new ArrayList<>();
            result.setProperty(ITEMS, items);
        }
        items.add(line.getIn().getBody(String.class));
        return result;
    }

    @Override
    public void onCompletion(Exchange result) {
        if (result != null) {
            @SuppressWarnings("unchecked")
            List<String> items = result.getProperty(ITEMS, List.class);
            result.removeProperty(ITEMS);
            result.getIn().setBody("[" + (items == null ? "" : String.join(",", items)) + "]");
        }
    }
}
