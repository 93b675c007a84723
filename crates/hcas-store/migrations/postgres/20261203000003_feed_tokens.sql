-- Calendar feeds (`FeedTokenStore`): only the SHA-256 of each token (hex),
-- never the token. A revoked feed keeps its row (revoked_s set, for good)
-- and never matches a token again.
CREATE TABLE feed_tokens (
    id            TEXT    NOT NULL PRIMARY KEY,
    token_hash    TEXT    NOT NULL UNIQUE,
    subject       TEXT    NOT NULL, -- Practitioner/<id> or Patient/<id>
    creator       TEXT    NOT NULL,
    creator_roles TEXT    NOT NULL, -- a JSON array of role words
    created_s     BIGINT NOT NULL,
    revoked_s     BIGINT
);
CREATE INDEX feed_tokens_subject ON feed_tokens (subject, created_s, id);
