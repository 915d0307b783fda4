package io.railyard.batch;

import io.railyard.api.ApiProblem;
import io.railyard.transfer.TransferRequest;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.dataformat.csv.CsvDataFormat;
import org.apache.camel.support.DefaultExchange;
import org.springframework.stereotype.Component;

/**
 * The batch CSV format, read with camel-csv: a header row naming the columns (any order, only known names), one
 * transfer per row, quoted fields, UTF-8 with or without BOM, a decimal point in amounts. Empty cells are absent.
 */
@Component
public class BatchCsv {

    /** Every column a batch CSV may have, in the template's order. */
    public static final List<String> COLUMNS = List.of("reference", "amount", "currency", "destination_currency",
            "destination_country", "network", "name", "pix_key", "bank_ispb", "bank_branch", "bank_account",
            "bank_account_type", "clabe", "circle_wallet_id", "circle_recipient_id", "address");
    static final String TEMPLATE = String.join(",", COLUMNS) + "\n"
            + "inv-1001,150.00,BRL,BRL,BR,,Maria Silva,52998224725,,,,,,,,\n"
            + "inv-1002,2500.00,MXN,MXN,MX,,\"Pérez, Juan\",,,,,,032180000118359719,,,\n"
            + "inv-1003,75.50,USDC,USDC,,base,,,,,,,,,,0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n";

    private final CamelContext camel;
    private final CsvDataFormat csv;

    public BatchCsv(CamelContext camel) {
        this.camel = camel;
        this.csv = new CsvDataFormat();
        // rows as lists, not maps: a map would silently drop the cells of a row longer than the header
        csv.setIgnoreEmptyLines(true);
        csv.setTrim(true);
        csv.start();
    }

    public List<BatchItem> parse(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<List<String>> records = unmarshal(text);
        if (records.isEmpty()) {
            return List.of();
        }
        List<String> header = records.get(0);
        List<BatchItem> items = new ArrayList<>(records.size() - 1);
        for (int i = 0; i < records.size() - 1; i++) {
            List<String> record = records.get(i + 1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < Math.min(header.size(), record.size()); c++) {
                row.put(header.get(c), record.get(c));
            }
            Map<String, String> unreadable = new LinkedHashMap<>();
            if (record.size() != header.size()) {
                unreadable.put("line", record.size() + " cells where the header has " + header.size() + " columns");
            }
            BigDecimal amount = null;
            if (cell(row, "amount") != null) {
                try {
                    amount = new BigDecimal(cell(row, "amount"));
                } catch (NumberFormatException e) {
                    unreadable.put("amount", "'" + cell(row, "amount") + "' is not a decimal number (use a point)");
                }
            }
            items.add(new BatchItem(i, i + 2, toRequest(row, amount), unreadable));
        }
        return items;
    }

    @SuppressWarnings("unchecked")
    private List<List<String>> unmarshal(String text) {
        if (text.isBlank()) {
            return List.of();
        }
        String header = text.lines().findFirst().orElse("");
        for (String column : header.split(",")) {
            String name = column.trim().replace("\"", "");
            if (!Set.copyOf(COLUMNS).contains(name)) {
                throw ApiProblem.invalid("header", "unknown column '" + name + "' on line 1; columns are " + COLUMNS);
            }
        }
        try {
            Exchange exchange = new DefaultExchange(camel);
            return (List<List<String>>) csv.unmarshal(exchange,
                    new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            Throwable cause = e; // the parser's own words ("(startline 2) EOF reached before ..."), not a class name
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw ApiProblem.badRequest("malformed_csv", "the CSV cannot be read: " + cause.getMessage(), null);
        }
    }

    private static TransferRequest toRequest(Map<String, String> row, BigDecimal amount) {
        TransferRequest.BankAccount bank = cell(row, "bank_ispb") == null && cell(row, "bank_account") == null ? null
                : new TransferRequest.BankAccount(cell(row, "bank_ispb"), cell(row, "bank_branch"),
                        cell(row, "bank_account"), cell(row, "bank_account_type"));
        TransferRequest.Destination destination = new TransferRequest.Destination(cell(row, "destination_currency"),
                cell(row, "destination_country"), cell(row, "network"), cell(row, "name"), cell(row, "pix_key"), bank,
                cell(row, "clabe"), cell(row, "circle_wallet_id"), cell(row, "circle_recipient_id"), cell(row, "address"));
        return new TransferRequest(amount, cell(row, "currency"), destination,
                cell(row, "reference"), "api", null, null);
    }

    private static String cell(Map<String, String> row, String column) {
        String value = row.get(column);
        return value == null || value.isBlank() ? null : value;
    }
}
