package io.railyard.ops;

import java.util.List;

/**
 * The few HTML pieces the ops console renders on the server. Every value goes through {@link #esc}: data (partner
 * names, URLs, response bodies) is never markup.
 */
public final class Html {

    private Html() {
    }

    public static String esc(Object value) {
        if (value == null) {
            return "";
        }
        String text = value.toString();
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A data table: caption, column headers (scope col), rows of cells already rendered (use {@link #esc}). */
    public static String table(String id, String caption, List<String> headers, List<List<String>> rows,
            String empty) {
        StringBuilder html = new StringBuilder("<table id=\"").append(esc(id)).append("\"><caption>")
                .append(esc(caption)).append("</caption><thead><tr>");
        headers.forEach(h -> html.append("<th scope=\"col\">").append(esc(h)).append("</th>"));
        html.append("</tr></thead><tbody>");
        if (rows.isEmpty()) {
            html.append("<tr><td colspan=\"").append(headers.size()).append("\" class=\"empty\">").append(esc(empty))
                    .append("</td></tr>");
        }
        for (List<String> row : rows) {
            html.append("<tr>");
            row.forEach(cell -> html.append("<td>").append(cell).append("</td>"));
            html.append("</tr>");
        }
        return html.append("</tbody></table>").toString();
    }

    /** A state badge: text plus a colour class (never colour alone). */
    public static String badge(String text, String tone) {
        return "<span class=\"badge badge-" + esc(tone) + "\">" + esc(text) + "</span>";
    }

    /** A figure right-aligned in tabular digits. */
    public static String num(Object value) {
        return "<span class=\"num\">" + esc(value) + "</span>";
    }
}
