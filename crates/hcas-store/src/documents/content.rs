//! [`DocumentContent`], the metadata of one encrypted document (its wrapped
//! data key among it), and [`ContentStore`], the port that keeps it.
//!
//! The wrapped data key lives here, in the database, never beside the
//! ciphertext in the object storage: deleting this record is what destroys a
//! document (crypto-shredding), whatever copies of the object storage exist.

use async_trait::async_trait;
use hcas_core::{Error, ErrorCode};

use super::WrappedKey;
use crate::StoreError;

/// The metadata of one encrypted document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentContent {
    /// The document's id (the core's id rule); also bound into the wrapping
    /// of its data key.
    pub id: String,
    /// Where the ciphertext is in the object storage.
    pub object: String,
    /// The data key, wrapped by a key-encryption key (`wrapped_key.kek_id`).
    pub wrapped_key: WrappedKey,
    /// The media type given at upload (`application/pdf`, `image/png`,
    /// `application/fhir+json`).
    pub content_type: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// SHA-256 of the plaintext, lower-case hex.
    pub sha256: String,
    /// Plaintext bytes per encrypted chunk.
    pub chunk_size: u32,
}

impl DocumentContent {
    /// Check every field.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |at: &str, msg: String| Error::new(ErrorCode::InvalidRequest, msg).at(at);
        crate::records::check_id("document.id", &self.id)?;
        check_media_type(&self.content_type).map_err(|e| e.at("document.content_type"))?;
        if self.object.is_empty() || self.object.len() > 1024 {
            return Err(bad(
                "document.object",
                "must be a 1 to 1024 byte object path".into(),
            ));
        }
        if self.wrapped_key.kek_id.is_empty() || self.wrapped_key.kek_id.len() > 200 {
            return Err(bad(
                "document.wrapped_key.kek_id",
                "must be 1 to 200 bytes".into(),
            ));
        }
        if self.wrapped_key.bytes.is_empty() || self.wrapped_key.bytes.len() > 4096 {
            return Err(bad(
                "document.wrapped_key.bytes",
                "must be 1 to 4096 bytes".into(),
            ));
        }
        if self.sha256.len() != 64 || super::aead::unhex::<32>(&self.sha256).is_none() {
            return Err(bad(
                "document.sha256",
                "must be 64 hex digits (a SHA-256)".into(),
            ));
        }
        if i64::try_from(self.size).is_err() {
            return Err(bad("document.size", "is too large".into()));
        }
        Ok(())
    }
}

/// A media type as an upload names it: `type/subtype` with optional
/// parameters, 1 to 255 bytes of visible ASCII and spaces.
///
/// # Errors
/// `invalid_request` saying what is wrong.
pub fn check_media_type(value: &str) -> Result<(), Error> {
    let ok = !value.is_empty()
        && value.len() <= 255
        && value.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && value
            .split(';')
            .next()
            .and_then(|t| t.trim().split_once('/'))
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !s.contains('/'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "{:?} is not a media type (`type/subtype`, e.g. `application/pdf`)",
                value.chars().take(60).collect::<String>()
            ),
        ))
    }
}

/// Where encrypted documents' metadata (and so their wrapped data keys) is
/// kept. The memory adapter implements it; the SQL adapters later.
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Record a new document.
    ///
    /// # Errors
    /// `AlreadyExists` (`what`: `document`), `Invalid`, `Unavailable`.
    async fn put_content(&self, content: DocumentContent) -> Result<(), StoreError>;

    /// The document with this id.
    ///
    /// # Errors
    /// `NotFound` (`what`: `document`), `Unavailable`.
    async fn get_content(&self, id: &str) -> Result<DocumentContent, StoreError>;

    /// Forget the document, and with it its wrapped data key, for good.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn delete_content(&self, id: &str) -> Result<(), StoreError>;

    /// Replace the document's wrapped key by `new` if it is still `old`
    /// (key rotation). `Ok(false)`: it changed meanwhile (nothing written).
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn replace_key(
        &self,
        id: &str,
        old: &WrappedKey,
        new: WrappedKey,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` documents whose key is not wrapped by `kek_id`, by id.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn contents_not_under(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<DocumentContent>, StoreError>;
}

/// The columns of a `documents` row, in [`ContentRow`] order.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const CONTENT_COLUMNS: &str =
    "id, object, kek_id, wrapped_key, content_type, size, sha256, chunk_size";

/// A `documents` row ([`CONTENT_COLUMNS`]).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) type ContentRow = (String, String, String, Vec<u8>, String, i64, String, i64);

/// A `documents` row read back.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn content_from_row(row: ContentRow) -> Result<DocumentContent, StoreError> {
    let (id, object, kek_id, bytes, content_type, size, sha256, chunk_size) = row;
    let corrupt =
        |what: &str| StoreError::Internal(format!("document {id}: stored {what} is out of range"));
    Ok(DocumentContent {
        size: u64::try_from(size).map_err(|_| corrupt("size"))?,
        chunk_size: u32::try_from(chunk_size).map_err(|_| corrupt("chunk size"))?,
        id,
        object,
        wrapped_key: WrappedKey { kek_id, bytes },
        content_type,
        sha256,
    })
}

/// `NotFound` for document `id`.
pub(crate) fn no_document(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "document",
        id: id.to_string(),
    }
}

/// `AlreadyExists` for document `id`.
pub(crate) fn document_taken(id: &str) -> StoreError {
    StoreError::AlreadyExists {
        what: "document",
        id: id.to_string(),
    }
}
