-- Login accounts (hcas as its own token issuer) and refresh-token families
-- (`AccountStore`). `username_key` is the lower-cased username, computed by the
-- store (`hcas_store::username_key`), so usernames are unique ignoring case.
CREATE TABLE accounts (
    username_key  TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    roles         TEXT    NOT NULL, -- a JSON array of role words
    password_hash TEXT    NOT NULL, -- a PHC string, never a password
    created_s     INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);

-- One row per login: the one refresh-token id (`jti`) that may be presented next.
CREATE TABLE refresh_families (
    family       TEXT    NOT NULL PRIMARY KEY,
    username_key TEXT    NOT NULL REFERENCES accounts (username_key),
    jti          TEXT    NOT NULL,
    expires_s    INTEGER NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
