package io.railyard.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdentifiersTest {

    @Test
    void clabeCheckDigit() {
        assertThat(Identifiers.isValidClabe("032180000118359719")).isTrue();
        assertThat(Identifiers.isValidClabe("032180000118359718")).isFalse();
        assertThat(Identifiers.isValidClabe("03218000011835971")).isFalse();
        assertThat(Identifiers.isValidClabe("03218000011835971A")).isFalse();
        assertThat(Identifiers.isValidClabe(null)).isFalse();
    }

    @Test
    void evmAddressChecksum() {
        assertThat(Identifiers.isValidEvmAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).isTrue();
        assertThat(Identifiers.isValidEvmAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")).isTrue();
        assertThat(Identifiers.isValidEvmAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")).isFalse();
        assertThat(Identifiers.isValidEvmAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA")).isFalse();
        assertThat(Identifiers.isValidEvmAddress("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00")).isFalse();
    }

    @Test
    void pixKeys() {
        assertThat(Identifiers.pixKeyType("52998224725")).isEqualTo("CPF");
        assertThat(Identifiers.pixKeyType("52998224724")).isNull();
        assertThat(Identifiers.pixKeyType("11111111111")).isNull();
        assertThat(Identifiers.pixKeyType("11222333000181")).isEqualTo("CNPJ");
        assertThat(Identifiers.pixKeyType("11222333000182")).isNull();
        assertThat(Identifiers.pixKeyType("+5511987654321")).isEqualTo("PHONE");
        assertThat(Identifiers.pixKeyType("pagamentos@example.com.br")).isEqualTo("EMAIL");
        assertThat(Identifiers.pixKeyType("123e4567-e89b-42d3-a456-426614174000")).isEqualTo("EVP");
        assertThat(Identifiers.pixKeyType("not a key")).isNull();
    }
}
