package io.railyard.transfer;

import java.util.regex.Pattern;
import org.web3j.crypto.Keys;

/** Check-digit and format rules of the identifiers rails route by. Pure functions, unit-tested one by one. */
public final class Identifiers {

    private static final Pattern EVM_ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern EVP = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern PHONE = Pattern.compile("\\+[1-9][0-9]{10,13}");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private Identifiers() {
    }

    /**
     * CLABE: 18 digits (bank 3, branch 3, account 11, check 1). Check digit: weights 3, 7, 1 repeated, each product
     * mod 10, summed; check = (10 − sum mod 10) mod 10.
     */
    public static boolean isValidClabe(String clabe) {
        if (clabe == null || clabe.length() != 18 || !DIGITS.matcher(clabe).matches()) {
            return false;
        }
        int[] weights = {3, 7, 1};
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            sum += (clabe.charAt(i) - '0') * weights[i % 3] % 10;
        }
        return (10 - sum % 10) % 10 == clabe.charAt(17) - '0';
    }

    /**
     * An EVM address: 0x + 40 hex digits. Mixed case must carry a correct EIP-55 checksum (a typo in a checksummed
     * address is caught); all-lowercase or all-uppercase addresses carry no checksum and are accepted as such.
     */
    public static boolean isValidEvmAddress(String address) {
        if (address == null || !EVM_ADDRESS.matcher(address).matches()) {
            return false;
        }
        String hex = address.substring(2);
        if (hex.equals(hex.toLowerCase()) || hex.equals(hex.toUpperCase())) {
            return true;
        }
        return Keys.toChecksumAddress(address).equals(address);
    }

    /** The Pix key kinds of the DICT: CPF, CNPJ, phone (+55...), e-mail, or random key (EVP, a UUID). */
    public static String pixKeyType(String key) {
        if (key == null) {
            return null;
        }
        if (isValidCpf(key)) {
            return "CPF";
        }
        if (isValidCnpj(key)) {
            return "CNPJ";
        }
        if (PHONE.matcher(key).matches()) {
            return "PHONE";
        }
        if (EVP.matcher(key).matches()) {
            return "EVP";
        }
        if (key.length() <= 77 && EMAIL.matcher(key).matches()) {
            return "EMAIL";
        }
        return null;
    }

    public static boolean isValidCpf(String cpf) {
        if (cpf == null || cpf.length() != 11 || !DIGITS.matcher(cpf).matches() || cpf.chars().distinct().count() == 1) {
            return false;
        }
        return cpf.charAt(9) - '0' == mod11(cpf, 9, 10) && cpf.charAt(10) - '0' == mod11(cpf, 10, 11);
    }

    private static int mod11(String digits, int length, int firstWeight) {
        int sum = 0;
        for (int i = 0; i < length; i++) {
            sum += (digits.charAt(i) - '0') * (firstWeight - i);
        }
        int rest = sum * 10 % 11;
        return rest == 10 ? 0 : rest;
    }

    public static boolean isValidCnpj(String cnpj) {
        if (cnpj == null || cnpj.length() != 14 || !DIGITS.matcher(cnpj).matches() || cnpj.chars().distinct().count() == 1) {
            return false;
        }
        int[] first = {5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
        int[] second = {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
        return cnpj.charAt(12) - '0' == cnpjDigit(cnpj, first) && cnpj.charAt(13) - '0' == cnpjDigit(cnpj, second);
    }

    private static int cnpjDigit(String cnpj, int[] weights) {
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += (cnpj.charAt(i) - '0') * weights[i];
        }
        int rest = sum % 11;
        return rest < 2 ? 0 : 11 - rest;
    }
}
