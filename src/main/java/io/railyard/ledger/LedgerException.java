package io.railyard.ledger;

/** A posting the ledger refuses. Nothing of the entry is written. */
public class LedgerException extends RuntimeException {

    private final String code;

    public LedgerException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** Stable machine-readable reason: {@code unbalanced_entry}, {@code insufficient_funds}, {@code invalid_entry}. */
    public String code() {
        return code;
    }

    public static final class InsufficientFunds extends LedgerException {
        private final AccountKey account;

        public InsufficientFunds(AccountKey account, long balanceMinor, long changeMinor) {
            super("insufficient_funds", "account " + account + " holds " + account.currency().fromMinor(balanceMinor)
                    + " " + account.currency() + ", cannot move " + account.currency().fromMinor(-changeMinor));
            this.account = account;
        }

        public AccountKey account() {
            return account;
        }
    }
}
