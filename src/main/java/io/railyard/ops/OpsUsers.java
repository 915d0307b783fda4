package io.railyard.ops;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Ops users (treasury, reconciliation, integration engineers): BCrypt-hashed passwords in PostgreSQL, role OPS. */
@Service
public class OpsUsers implements UserDetailsService {

    private final JdbcClient jdbc;
    private final PasswordEncoder encoder;

    public OpsUsers(JdbcClient jdbc, PasswordEncoder encoder) {
        this.jdbc = jdbc;
        this.encoder = encoder;
    }

    @Override
    public UserDetails loadUserByUsername(String username) {
        return jdbc.sql("select password_hash from ops_users where username = ?").param(username)
                .query(String.class).optional()
                .map(hash -> User.withUsername(username).password(hash).roles("OPS").build())
                .orElseThrow(() -> new UsernameNotFoundException("no ops user " + username));
    }

    /** Creates the user, or sets a new password when it exists. */
    @Transactional
    public void save(String username, String password) {
        jdbc.sql("""
                insert into ops_users (username, password_hash) values (?, ?)
                on conflict (username) do update set password_hash = excluded.password_hash""")
                .params(username, encoder.encode(password)).update();
    }
}
