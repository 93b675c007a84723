-- Encrypted documents (`hcas_store::documents`, docs/records.md): where each
-- document's ciphertext is, its data key wrapped by a key-encryption key
-- (kek_id), media type, plaintext size and SHA-256 (hex). Deleting a row
-- destroys the document (crypto-shredding): the object storage never holds
-- the wrapped key.
CREATE TABLE documents (
    id           TEXT    NOT NULL PRIMARY KEY,
    object       TEXT    NOT NULL,
    kek_id       TEXT    NOT NULL,
    wrapped_key  BYTEA   NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL CHECK (size >= 0),
    sha256       TEXT    NOT NULL,
    chunk_size   BIGINT  NOT NULL CHECK (chunk_size > 0)
);
-- Key rotation finds the documents not under the current KEK.
CREATE INDEX documents_kek ON documents (kek_id, id);
