package io.railyard.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.railyard.transfer.Identifiers;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Pix send API simulator (BCB API Pix v2 style): PUT by the payer's {@code idEnvio} (idempotent), read by the
 * end-to-end id. Statuses EM_PROCESSAMENTO → CONCLUIDA | NAO_REALIZADO, and DEVOLVIDO (with {@code devolucoes}) for a
 * late return. A return of part of the Pix ({@code return_share}) leaves it CONCLUIDA with that devolução listed; the
 * rest, when it follows ({@code return_rest_after_ms}), makes it DEVOLVIDO. A devolução of a settled Pix is asked with
 * PUT {@code /{endToEndId}/devolucao/{id}} (idempotent on the payer's {@code id}) and read back: EM_PROCESSAMENTO →
 * DEVOLVIDO | NAO_REALIZADO, with its own {@code rtrId}; a Pix lists its devoluções, those the payer asked for
 * ({@code solicitante} PAGADOR) and those the recebedor's side made on its own (RECEBEDOR). Errors are BCB problem
 * documents with {@code violacoes}.
 */
@RestController
@SandboxEnabled
@RequestMapping("/sandbox/pix/v2/pix")
class PixSandbox extends RailEndpoint {

    static final String ISPB = "99999999";
    private static final Pattern ID_ENVIO = Pattern.compile("[a-zA-Z0-9]{1,35}");
    private static final DateTimeFormatter E2E_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(ZoneOffset.UTC);
    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String ERRORS = "https://pix.bcb.gov.br/api/v2/error/";

    record Envio(BigDecimal valor, String chave, String infoPagador) {
    }

    private final Rail<Envio> rail;

    PixSandbox(Sandbox sandbox) {
        this.rail = sandbox.rail("pix");
    }

    @PutMapping("/{idEnvio}")
    ResponseEntity<Object> send(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String idEnvio, @RequestBody JsonNode body) {
        requireBearer(auth);
        check(ID_ENVIO.matcher(idEnvio).matches(), "idEnvio", "must be 1 to 35 letters or digits");
        BigDecimal valor = amount(text(body, "/valor"), 2);
        check(valor != null, "valor", "must be a positive decimal string with at most 2 decimals");
        String chave = text(body, "/chave");
        check(Identifiers.pixKeyType(chave) != null, "chave", "is not a Pix key (CPF, CNPJ, phone, e-mail or EVP)");
        String info = text(body, "/infoPagador");
        check(info == null || info.length() <= 140, "infoPagador", "must be at most 140 characters");

        Payout<Envio> payout = rail.create(idEnvio, new Envio(valor, chave, info), valor, this::endToEndId);
        return ResponseEntity.status(201).body(view(payout, Payout.Phase.PENDING, payout.amount()));
    }

    @GetMapping("/{endToEndId}")
    Map<String, Object> status(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String endToEndId) {
        requireBearer(auth);
        Payout<Envio> payout = rail.byId(endToEndId).orElseThrow(() -> RailError.notFound("Pix " + endToEndId));
        return view(payout, rail.phase(payout), payout.amount());
    }

    /** A devolução of a settled Pix, asked by the payer: {@code id} is the payer's key (1 to 35 letters or digits). */
    @PutMapping("/{endToEndId}/devolucao/{id}")
    ResponseEntity<Object> refund(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String endToEndId, @PathVariable String id, @RequestBody JsonNode body) {
        requireBearer(auth);
        check(ID_ENVIO.matcher(id).matches(), "id", "must be 1 to 35 letters or digits");
        BigDecimal valor = amount(text(body, "/valor"), 2);
        check(valor != null, "valor", "must be a positive decimal string with at most 2 decimals");
        Payout<Envio> original = rail.payoutById(endToEndId).orElseThrow(() -> RailError.notFound("Pix " + endToEndId));
        RailRefund<Envio> devolucao = rail.refund(original, id, valor, () -> "D" + endToEndId().substring(1));
        return ResponseEntity.status(201).body(devolucao(devolucao, Payout.Phase.PENDING));
    }

    @GetMapping("/{endToEndId}/devolucao/{id}")
    Map<String, Object> refundStatus(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @PathVariable String endToEndId, @PathVariable String id) {
        requireBearer(auth);
        RailRefund<Envio> devolucao = rail.refundByKey(id).filter(d -> d.payout().id().equals(endToEndId))
                .orElseThrow(() -> RailError.notFound("devolução " + id + " of Pix " + endToEndId));
        return devolucao(devolucao, devolucao.phase(rail.now()));
    }

    /** The statement reconciliation reads: Pix requested in [inicio, fim). */
    @GetMapping
    Map<String, Object> list(@RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String auth,
            @RequestParam(required = false) String inicio, @RequestParam(required = false) String fim) {
        requireBearer(auth);
        check(inicio != null, "inicio", "is required");
        check(fim != null, "fim", "is required");
        List<Payout<Envio>> payouts = rail.statement(time(inicio, "inicio", null), time(fim, "fim", null));
        return Map.of("parametros", Map.of("inicio", inicio, "fim", fim),
                "pix", payouts.stream().map(p -> view(p, rail.phase(p), p.statementAmount())).toList());
    }

    private static Map<String, Object> devolucao(RailRefund<Envio> devolucao, Payout.Phase phase) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", devolucao.key());
        view.put("rtrId", devolucao.id());
        view.put("valor", devolucao.amount().toPlainString());
        view.put("natureza", "ORIGINAL");
        view.put("solicitante", "PAGADOR");
        Map<String, Object> horario = new LinkedHashMap<>();
        horario.put("solicitacao", devolucao.createdAt().toString());
        if (phase == Payout.Phase.SETTLED) {
            horario.put("liquidacao", devolucao.settledAt().toString());
        }
        view.put("horario", horario);
        view.put("status", switch (phase) {
            case PENDING -> "EM_PROCESSAMENTO";
            case SETTLED, RETURNED -> "DEVOLVIDO";
            case FAILED -> "NAO_REALIZADO";
        });
        if (phase == Payout.Phase.FAILED) {
            view.put("motivo", "Devolução recusada pelo PSP do recebedor");
        }
        return view;
    }

    /** E + payer ISPB + yyyyMMddHHmm (UTC) + 11 random alphanumerics: 32 characters. */
    private String endToEndId() {
        StringBuilder id = new StringBuilder("E").append(ISPB).append(E2E_TIME.format(rail.now()));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 11; i++) {
            id.append(ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length())));
        }
        return id.toString();
    }

    private Map<String, Object> view(Payout<Envio> payout, Payout.Phase phase, BigDecimal valor) {
        Instant now = rail.now();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("idEnvio", payout.key());
        view.put("endToEndId", payout.id());
        view.put("valor", valor.toPlainString());
        view.put("chave", payout.detail().chave());
        Map<String, Object> horario = new LinkedHashMap<>();
        horario.put("solicitacao", payout.createdAt().toString());
        if (phase == Payout.Phase.SETTLED || phase == Payout.Phase.RETURNED) {
            horario.put("liquidacao", payout.settledAt().toString());
        }
        view.put("horario", horario);
        view.put("status", switch (phase) {
            case PENDING -> "EM_PROCESSAMENTO";
            case SETTLED -> "CONCLUIDA";
            case FAILED -> "NAO_REALIZADO";
            case RETURNED -> payout.partlyReturned(now) ? "CONCLUIDA" : "DEVOLVIDO"; // in part: the Pix stands
        });
        List<Map<String, Object>> devolucoes = new ArrayList<>();
        rail.refundsOf(payout).forEach(d -> devolucoes.add(devolucao(d, d.phase(now))));
        List<Payout.Returned> received = payout.returnsBy(now);
        for (int i = 0; i < received.size(); i++) {
            devolucoes.add(received(payout, received.get(i), i));
        }
        if (!devolucoes.isEmpty()) {
            view.put("devolucoes", devolucoes);
        }
        return view;
    }

    /**
     * A devolução the recebedor's side made on its own (the {@code i}-th of the Pix): {@code solicitante} RECEBEDOR,
     * where those the payer asked for read PAGADOR. Its rtrId: D + ISPB + the time it came back + 11 alphanumerics.
     */
    private static Map<String, Object> received(Payout<Envio> payout, Payout.Returned returned, int i) {
        String rtrId = "D" + ISPB + E2E_TIME.format(returned.at()) + payout.id().substring(22) + i;
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", rtrId);
        view.put("rtrId", rtrId);
        view.put("valor", returned.amount().toPlainString());
        view.put("natureza", "ORIGINAL");
        view.put("solicitante", "RECEBEDOR");
        view.put("horario", Map.of("solicitacao", returned.at().toString(), "liquidacao", returned.at().toString()));
        view.put("status", "DEVOLVIDO");
        view.put("motivo", "Devolução solicitada pelo recebedor");
        return view;
    }

    @Override
    ResponseEntity<Object> render(RailError error) {
        String[] type = switch (error.kind()) {
            case UNAUTHORIZED -> new String[] {"AcessoNegado", "Acesso negado"};
            case NOT_FOUND -> new String[] {"NaoEncontrado", "Não encontrado"};
            case KEY_REUSED, REFERENCE_TAKEN -> new String[] {"PixEnvioDuplicado", "idEnvio já utilizado"};
            case MALFORMED, INVALID -> new String[] {"RequisicaoInvalida", "Requisição inválida"};
        };
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", ERRORS + type[0]);
        problem.put("title", type[1]);
        problem.put("status", error.status());
        problem.put("detail", error.getMessage());
        if (error.field() != null) {
            problem.put("violacoes", List.of(Map.of("razao", error.getMessage(), "propriedade", error.field())));
        }
        return ResponseEntity.status(error.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
