package io.railyard.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** The append-only trail of ops actions (overrides, manual resolutions): written with the action it records. */
@Component
public class OpsAudit {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    public OpsAudit(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    @Transactional(propagation = Propagation.MANDATORY)
    public void record(String actor, String action, String target, String reason, Map<String, Object> details) {
        try {
            jdbc.sql("insert into ops_audit (actor, action, target, reason, details) values (?, ?, ?, ?, ?::jsonb)")
                    .params(actor, action, target, reason, json.writeValueAsString(details)).update();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public List<Map<String, Object>> trail(String targetPrefix, int limit) {
        return jdbc.sql("""
                select id, actor, action, target, reason, details::text as details, at from ops_audit
                where target like ? order by id desc limit ?""")
                .params(targetPrefix + "%", limit)
                .query((rs, n) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("id", rs.getLong("id"));
                    row.put("actor", rs.getString("actor"));
                    row.put("action", rs.getString("action"));
                    row.put("target", rs.getString("target"));
                    row.put("reason", rs.getString("reason"));
                    try {
                        row.put("details", json.readValue(rs.getString("details"), Map.class));
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException(e);
                    }
                    row.put("at", rs.getTimestamp("at").toInstant().toString());
                    return row;
                }).list();
    }
}
