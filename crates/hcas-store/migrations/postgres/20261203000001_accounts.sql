-- Login accounts (hcas as its own token issuer) and refresh-token families
-- (`AccountStore`). `username_key` is the lower-cased username, computed by the
-- store (`hcas_store::username_key`), so usernames are unique ignoring case.
CREATE TABLE accounts (
    username_key  TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    roles         JSONB   NOT NULL, -- an array of role words
    password_hash TEXT    NOT NULL, -- a PHC string, never a password
    created_s     BIGINT  NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);

-- One row per login: the one refresh-token id (`jti`) that may be presented next.
CREATE TABLE refresh_families (
    family       TEXT    NOT NULL PRIMARY KEY,
    username_key TEXT    NOT NULL REFERENCES accounts (username_key),
    jti          TEXT    NOT NULL,
    expires_s    BIGINT  NOT NULL,
    revoked      BOOLEAN NOT NULL DEFAULT FALSE
);
