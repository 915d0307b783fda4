package io.railyard.batch;

import io.railyard.transfer.TransferRequest;
import java.util.Map;

/**
 * One item of a batch as sent: its position (index from 0; CSV line from 1, header included), the transfer, and the
 * cells that could not even be read (field → reason).
 */
public record BatchItem(int index, Integer line, TransferRequest request, Map<String, String> unreadable) {

    public BatchItem(int index, Integer line, TransferRequest request) {
        this(index, line, request, Map.of());
    }
}
