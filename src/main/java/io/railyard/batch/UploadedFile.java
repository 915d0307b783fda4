package io.railyard.batch;

import io.railyard.api.ApiProblem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.tomcat.util.http.fileupload.FileItemIterator;
import org.apache.tomcat.util.http.fileupload.FileItemStream;
import org.apache.tomcat.util.http.fileupload.FileUpload;
import org.apache.tomcat.util.http.fileupload.UploadContext;

/**
 * The part named {@code file} of a multipart/form-data body. It is read from the body's bytes, the same bytes the
 * idempotency fingerprint covered (by then the servlet request's stream is spent), with Tomcat's own multipart parser.
 */
final class UploadedFile {

    private UploadedFile() {
    }

    static byte[] read(String contentType, byte[] body) {
        byte[] bytes = body == null ? new byte[0] : body;
        UploadContext request = new UploadContext() {
            @Override
            public String getCharacterEncoding() {
                return StandardCharsets.UTF_8.name();
            }

            @Override
            public String getContentType() {
                return contentType;
            }

            @Override
            public InputStream getInputStream() {
                return new ByteArrayInputStream(bytes);
            }

            @Override
            public long contentLength() {
                return bytes.length;
            }
        };
        try {
            FileItemIterator parts = new FileUpload().getItemIterator(request);
            while (parts.hasNext()) {
                FileItemStream part = parts.next();
                if ("file".equals(part.getFieldName())) {
                    try (InputStream in = part.openStream()) {
                        return in.readAllBytes();
                    }
                }
            }
        } catch (IOException e) { // a FileUploadException too: no boundary, broken part headers, no closing delimiter
            throw ApiProblem.badRequest("malformed_multipart",
                    "the multipart body cannot be read (boundary, part headers or closing delimiter)", null);
        }
        throw ApiProblem.badRequest("missing_file", "send the CSV as the multipart part named 'file'", "file");
    }
}
