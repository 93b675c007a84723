//! Encrypted document storage (feature `documents`): medical-record content
//! (PDF, images, FHIR JSON) in an object store, with envelope encryption at
//! rest. See `docs/records.md` for what it guarantees and what it does not.
//!
//! - [`Documents`] is the service: `put` streams an upload into the object
//!   store in encrypted chunks, `read`/`read_range` authenticate and decrypt
//!   (a range only decrypts the chunks covering it), `delete` destroys the
//!   document's data key (crypto-shredding), `rewrap_all` moves data keys to
//!   the current key-encryption key (rotation without re-encryption).
//! - Objects go through the `object_store` crate (`Arc<dyn ObjectStore>`): a
//!   local directory by default ([`Documents::local`]); S3-compatible
//!   storage with feature `documents-s3` (`aws::S3Config`), Google Cloud
//!   Storage with feature `documents-gcs` (`gcp::GcsConfig`), or any other
//!   `ObjectStore` handed to [`Documents::new`].
//! - Keys: a fresh [`DataKey`] per document, wrapped by a [`Kms`]
//!   ([`LocalKms`], a 0600 key file, by default; `aws::AwsKms` speaks the
//!   AWS KMS API with feature `documents-s3`). The wrapped key is kept by
//!   a [`ContentStore`] (the database) and never in the object store.
//! - [`mod@format`] documents the object layout: a 24-byte header, then 64 KiB
//!   AES-256-GCM chunks whose nonce binds the chunk index and a last-chunk
//!   flag, so truncation, reordering and tampering fail loudly
//!   ([`StoreError::Integrity`]) and no unauthenticated plaintext is returned.

mod aead;
#[cfg(feature = "documents-s3")]
pub mod aws;
mod content;
pub mod format;
#[cfg(feature = "documents-gcs")]
pub mod gcp;
mod kms;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

#[cfg(feature = "documents-s3")]
pub use aws::{AwsCredentials, AwsKms, S3Config};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use content::{CONTENT_COLUMNS, ContentRow, content_from_row};
pub use content::{ContentStore, DocumentContent, check_media_type};
pub(crate) use content::{document_taken, no_document};
#[cfg(feature = "documents-gcs")]
pub use gcp::{GcsConfig, GcsCredentials};
pub use kms::{DataKey, Kms, LocalKms, WrappedKey};

/// The `object_store` crate this module is built on (for callers that
/// build or wrap stores, e.g. a per-organization `PrefixStore`).
pub use object_store;

use crate::StoreError;

/// rustls needs a process-wide crypto provider for reqwest's TLS: install
/// ring's unless one is installed already. The cloud constructors call it;
/// call it before building another reqwest 0.13 client in the process.
#[cfg(any(feature = "documents-s3", feature = "documents-gcs"))]
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: one provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A setting's `invalid_request` error, at the setting's name.
#[cfg(any(feature = "documents-s3", feature = "documents-gcs"))]
fn invalid_setting(at: &str, msg: impl Into<String>) -> StoreError {
    hcas_core::Error::new(hcas_core::ErrorCode::InvalidRequest, msg)
        .at(at)
        .into()
}

/// The key prefix of a bucket location (`<scheme>://bucket/<prefix>`),
/// without leading or trailing `/`: plain path segments only.
#[cfg(any(feature = "documents-s3", feature = "documents-gcs"))]
fn check_bucket_prefix<'a>(at: &str, prefix: &'a str) -> Result<&'a str, StoreError> {
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|p| p == "." || p == "..")
        || prefix.contains("//")
        || prefix.chars().any(char::is_control)
    {
        return Err(invalid_setting(
            at,
            "the prefix must be plain path segments (no '.', '..', empty segments or control characters)",
        ));
    }
    Ok(prefix)
}

/// `store` under `prefix` (the store itself when the prefix is empty).
#[cfg(any(feature = "documents-s3", feature = "documents-gcs"))]
fn under_prefix(
    store: Arc<dyn object_store::ObjectStore>,
    prefix: &str,
) -> Arc<dyn object_store::ObjectStore> {
    if prefix.is_empty() {
        store
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
    }
}
use format::{HEADER_LEN, Header, Opener, Sealer};

/// Largest document accepted unless configured otherwise (100 MiB).
pub const DEFAULT_MAX_SIZE: u64 = 100 * 1024 * 1024;

/// Upload parts in flight at once (each up to 5 MiB): what bounds the
/// memory of one upload besides one chunk.
const UPLOAD_CONCURRENCY: usize = 2;

/// The object-store prefix of every document.
const OBJECT_PREFIX: &str = "documents";

/// Encrypted documents: an object store for ciphertext, a [`Kms`] for
/// key-encryption keys and a [`ContentStore`] for metadata and wrapped keys.
#[derive(Clone)]
pub struct Documents {
    objects: Arc<dyn ObjectStore>,
    archive: Option<Arc<dyn ObjectStore>>,
    kms: Arc<dyn Kms>,
    contents: Arc<dyn ContentStore>,
    max_size: u64,
    chunk_size: u32,
}

impl fmt::Debug for Documents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Documents")
            .field("objects", &self.objects.to_string())
            .field("kms", &self.kms)
            .field("max_size", &self.max_size)
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

fn request(at: &str, msg: impl Into<String>) -> StoreError {
    hcas_core::Error::new(hcas_core::ErrorCode::InvalidRequest, msg)
        .at(at)
        .into()
}

fn object_error(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::Integrity(
            "the document's encrypted object is missing from the object storage".into(),
        ),
        other => StoreError::Unavailable(format!("object storage: {other}")),
    }
}

impl Documents {
    /// Documents in `objects`, keys from `kms`, metadata in `contents`;
    /// [`DEFAULT_MAX_SIZE`] and [`format::DEFAULT_CHUNK_SIZE`].
    #[must_use]
    pub fn new(
        objects: Arc<dyn ObjectStore>,
        kms: Arc<dyn Kms>,
        contents: Arc<dyn ContentStore>,
    ) -> Self {
        Self {
            objects,
            archive: None,
            kms,
            contents,
            max_size: DEFAULT_MAX_SIZE,
            chunk_size: format::DEFAULT_CHUNK_SIZE,
        }
    }

    /// Documents as files under the directory `dir` (created if missing),
    /// written with `fsync` (of the file and its directory) before an upload
    /// returns.
    ///
    /// # Errors
    /// `Unavailable` if the directory cannot be created or used.
    pub fn local(
        dir: impl AsRef<std::path::Path>,
        kms: Arc<dyn Kms>,
        contents: Arc<dyn ContentStore>,
    ) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("document directory {}: {e}", dir.display()))
        })?;
        // fsync files and their directories: an upload that returned is on disk.
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| {
                StoreError::Unavailable(format!("document directory {}: {e}", dir.display()))
            })?
            .with_fsync(true);
        Ok(Self::new(Arc::new(fs), kms, contents))
    }

    /// The largest plaintext accepted, in bytes.
    #[must_use]
    pub const fn with_max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// Plaintext bytes per encrypted chunk for new uploads.
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`) outside
    /// [`format::MIN_CHUNK_SIZE`]..=[`format::MAX_CHUNK_SIZE`].
    pub fn with_chunk_size(mut self, bytes: u32) -> Result<Self, StoreError> {
        if !(format::MIN_CHUNK_SIZE..=format::MAX_CHUNK_SIZE).contains(&bytes) {
            return Err(request(
                "chunk_size",
                format!(
                    "must be {} to {} bytes, got {bytes}",
                    format::MIN_CHUNK_SIZE,
                    format::MAX_CHUNK_SIZE
                ),
            ));
        }
        self.chunk_size = bytes;
        Ok(self)
    }

    /// An archive tier (another prefix, bucket or store): documents moved
    /// there by [`Documents::archive_older_than`] keep reading as before.
    #[must_use]
    pub fn with_archive(mut self, archive: Arc<dyn ObjectStore>) -> Self {
        self.archive = Some(archive);
        self
    }

    /// Lifecycle rule: move up to `limit` documents whose objects were
    /// written before `cutoff` from the primary store to the archive (copy,
    /// then delete the primary copy); the ciphertext is moved as it is, so
    /// nothing is decrypted and the metadata does not change. Returns how
    /// many were moved: call until it returns 0. Reads look in the primary
    /// store first, then in the archive.
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`) without an archive
    /// ([`Documents::with_archive`]); `Unavailable` (object storage).
    pub async fn archive_older_than(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let Some(archive) = &self.archive else {
            return Err(request(
                "archive",
                "no archive store is configured: set one before archiving",
            ));
        };
        let prefix = ObjectPath::from(OBJECT_PREFIX);
        let mut old = Vec::new();
        let mut listing = self.objects.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(object_error)?;
            if meta.last_modified < cutoff {
                old.push(meta.location);
                if old.len() == limit {
                    break;
                }
            }
        }
        drop(listing);
        for path in &old {
            let bytes = self
                .objects
                .get(path)
                .await
                .map_err(object_error)?
                .bytes()
                .await
                .map_err(object_error)?;
            archive
                .put(path, bytes.into())
                .await
                .map_err(object_error)?;
            self.objects.delete(path).await.map_err(object_error)?;
        }
        Ok(old.len())
    }

    /// The store holding `path` now: the primary, else the archive.
    async fn holder(&self, path: &ObjectPath) -> Result<(&Arc<dyn ObjectStore>, u64), StoreError> {
        match self.objects.head(path).await {
            Ok(m) => Ok((&self.objects, m.size)),
            Err(object_store::Error::NotFound { .. }) if self.archive.is_some() => {
                let archive = self
                    .archive
                    .as_ref()
                    .ok_or_else(|| StoreError::Internal("archive vanished".into()))?;
                let m = archive.head(path).await.map_err(object_error)?;
                Ok((archive, m.size))
            }
            Err(e) => Err(object_error(e)),
        }
    }

    /// The object store (for tests and tools).
    #[must_use]
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }

    /// Encrypt and store `body` as document `id` of media type
    /// `content_type`, streaming: at most one chunk of plaintext and a few
    /// upload parts are held in memory. Records size and SHA-256.
    ///
    /// # Errors
    /// `Invalid`: a bad id or media type (`invalid_request`), a body larger
    /// than the limit (`limit_exceeded`; reading stops there and nothing is
    /// stored); `AlreadyExists` (`document`); `Unavailable` (the body stream,
    /// the object store or the database failed; nothing is kept);
    /// `KeyUnavailable`.
    pub async fn put<S, E>(
        &self,
        id: &str,
        content_type: &str,
        mut body: S,
    ) -> Result<DocumentContent, StoreError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: fmt::Display,
    {
        crate::records::check_id("document.id", id)?;
        check_media_type(content_type).map_err(|e| e.at("document.content_type"))?;
        match self.contents.get_content(id).await {
            Ok(_) => {
                return Err(StoreError::AlreadyExists {
                    what: "document",
                    id: id.to_string(),
                });
            }
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let key = DataKey::generate()?;
        let wrapped_key = self.kms.wrap(&key, id.as_bytes()).await?;
        let path = ObjectPath::from(format!(
            "{OBJECT_PREFIX}/{}",
            aead::hex(&aead::random::<16>()?)
        ));
        let mut sealer = Sealer::new(&key, Header::fresh(self.chunk_size)?);
        let upload = self
            .objects
            .put_multipart(&path)
            .await
            .map_err(object_error)?;
        let mut writer = WriteMultipart::new(upload);
        writer.write(sealer.header_bytes());
        let filled = self.fill(&mut writer, &mut sealer, &mut body).await;
        let (size, sha256) = match filled {
            Ok(done) => done,
            Err(e) => {
                // Nothing may remain of a refused upload; a failed abort
                // leaves only an unreadable, unreferenced object behind.
                let _ = writer.abort().await;
                return Err(e);
            }
        };
        writer.finish().await.map_err(object_error)?;
        let content = DocumentContent {
            id: id.to_string(),
            object: path.to_string(),
            wrapped_key,
            content_type: content_type.to_string(),
            size,
            sha256,
            chunk_size: self.chunk_size,
        };
        if let Err(e) = self.contents.put_content(content.clone()).await {
            let _ = self.objects.delete(&path).await;
            return Err(e);
        }
        Ok(content)
    }

    /// [`Documents::put`] of bytes already in memory.
    ///
    /// # Errors
    /// As [`Documents::put`].
    pub async fn put_bytes(
        &self,
        id: &str,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<DocumentContent, StoreError> {
        let body =
            futures_util::stream::iter([Ok::<Bytes, std::convert::Infallible>(bytes.into())]);
        self.put(id, content_type, body).await
    }

    /// Read `body` to its end into sealed chunks; the size and SHA-256.
    async fn fill<S, E>(
        &self,
        writer: &mut WriteMultipart,
        sealer: &mut Sealer,
        body: &mut S,
    ) -> Result<(u64, String), StoreError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: fmt::Display,
    {
        let chunk = usize::try_from(self.chunk_size).unwrap_or(usize::MAX);
        let mut pending: Vec<u8> = Vec::with_capacity(chunk);
        let mut hasher = Sha256::new();
        let mut total: u64 = 0;
        while let Some(item) = body.next().await {
            let bytes = item
                .map_err(|e| StoreError::Unavailable(format!("the upload stream failed: {e}")))?;
            total = total.saturating_add(bytes.len() as u64);
            if total > self.max_size {
                return Err(hcas_core::Error::new(
                    hcas_core::ErrorCode::LimitExceeded,
                    format!(
                        "the document is larger than the limit of {} bytes; send a smaller file",
                        self.max_size
                    ),
                )
                .at("document")
                .into());
            }
            hasher.update(&bytes);
            let mut rest: &[u8] = &bytes;
            while !rest.is_empty() {
                if pending.len() == chunk {
                    // More plaintext follows, so this full chunk is not the last.
                    writer.put(Bytes::from(sealer.seal(&pending, false)?));
                    pending.clear();
                    writer
                        .wait_for_capacity(UPLOAD_CONCURRENCY)
                        .await
                        .map_err(object_error)?;
                }
                let take = (chunk - pending.len()).min(rest.len());
                pending.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
            }
        }
        writer.put(Bytes::from(sealer.seal(&pending, true)?));
        Ok((total, aead::hex(&hasher.finalize())))
    }

    /// The document's metadata.
    ///
    /// # Errors
    /// `NotFound` (`document`), `Unavailable`.
    pub async fn content(&self, id: &str) -> Result<DocumentContent, StoreError> {
        self.contents.get_content(id).await
    }

    /// The whole plaintext, authenticated chunk by chunk and checked against
    /// the recorded SHA-256.
    ///
    /// # Errors
    /// `NotFound` (`document`: unknown or deleted); `Integrity` (tampered,
    /// truncated or reordered storage: nothing is returned);
    /// `KeyUnavailable`; `Unavailable`.
    pub async fn read(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        let c = self.contents.get_content(id).await?;
        let layout = format::Layout {
            chunk: u64::from(c.chunk_size),
            size: c.size,
        };
        let plain = self.decrypt(&c, 0, layout.chunks() - 1).await?;
        if aead::hex(&Sha256::digest(&plain)) != c.sha256 {
            return Err(StoreError::Integrity(
                "the document's plaintext does not match its recorded SHA-256".into(),
            ));
        }
        Ok(plain)
    }

    /// Plaintext bytes `range` of the document, decrypting only the chunks
    /// that cover it.
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`) for a range outside `0..size`; as
    /// [`Documents::read`] otherwise.
    pub async fn read_range(&self, id: &str, range: Range<u64>) -> Result<Vec<u8>, StoreError> {
        let c = self.contents.get_content(id).await?;
        if range.start > range.end || range.end > c.size {
            return Err(request(
                "range",
                format!(
                    "{}..{} is not within the document's {} bytes",
                    range.start, range.end, c.size
                ),
            ));
        }
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let layout = format::Layout {
            chunk: u64::from(c.chunk_size),
            size: c.size,
        };
        let (first, last) = layout.covering(range.start, range.end);
        let plain = self.decrypt(&c, first, last).await?;
        let skip = usize::try_from(range.start - first * layout.chunk)
            .map_err(|_| StoreError::Internal("range offset overflow".into()))?;
        let len = usize::try_from(range.end - range.start)
            .map_err(|_| StoreError::Internal("range length overflow".into()))?;
        Ok(plain[skip..skip + len].to_vec())
    }

    /// Authenticate and decrypt chunks `first..=last` of `c`'s object.
    async fn decrypt(
        &self,
        c: &DocumentContent,
        first: u64,
        last: u64,
    ) -> Result<Vec<u8>, StoreError> {
        let key = self.kms.unwrap(&c.wrapped_key, c.id.as_bytes()).await?;
        let path = ObjectPath::from(c.object.as_str());
        let expected = format::Layout {
            chunk: u64::from(c.chunk_size),
            size: c.size,
        };
        let (store, stored) = self.holder(&path).await?;
        if stored != expected.object_len() {
            return Err(StoreError::Integrity(format!(
                "the document's object is {stored} bytes but its metadata implies {}: it was \
                 truncated or extended",
                expected.object_len()
            )));
        }
        let span = expected.chunk_start(first)
            ..expected.chunk_start(last) + expected.plain_len(last) + aead::TAG_LEN as u64;
        let parts = store
            .get_ranges(&path, &[0..HEADER_LEN as u64, span.clone()])
            .await
            .map_err(object_error)?;
        let [head, body] = parts.as_slice() else {
            return Err(StoreError::Internal(
                "object store returned the wrong number of ranges".into(),
            ));
        };
        let header = Header::parse(head)?;
        if header.chunk_size != c.chunk_size {
            return Err(StoreError::Integrity(
                "the document header's chunk size differs from its metadata".into(),
            ));
        }
        if body.len() as u64 != span.end - span.start {
            return Err(StoreError::Integrity(
                "the object storage returned fewer bytes than the document has".into(),
            ));
        }
        let opener = Opener::new(&key, header, c.size);
        let layout = opener.layout();
        let mut out = Vec::new();
        let mut at = 0usize;
        for i in first..=last {
            let len = usize::try_from(layout.plain_len(i))
                .map_err(|_| StoreError::Internal("chunk length overflow".into()))?
                + aead::TAG_LEN;
            let sealed = body.get(at..at + len).ok_or_else(|| {
                StoreError::Integrity("the document's object ends inside a chunk".into())
            })?;
            out.extend_from_slice(&opener.open(i, sealed)?);
            at += len;
        }
        Ok(out)
    }

    /// Delete the document: its metadata and wrapped data key first (from
    /// then on no copy of the object storage can be decrypted), then its
    /// object (a failure there leaves only unreadable ciphertext).
    ///
    /// # Errors
    /// `NotFound` (`document`), `Unavailable`.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let c = self.contents.get_content(id).await?;
        self.contents.delete_content(id).await?;
        let path = ObjectPath::from(c.object.as_str());
        let _ = self.objects.delete(&path).await;
        if let Some(archive) = &self.archive {
            let _ = archive.delete(&path).await;
        }
        Ok(())
    }

    /// Re-wrap the data keys of up to `limit` documents not under the KMS's
    /// current key-encryption key (after [`LocalKms::rotate`]); the
    /// documents themselves are not touched. Returns how many were
    /// handled (a key another caller re-wrapped meanwhile counts too): call
    /// until it returns 0, then the old KEK version can be retired.
    ///
    /// # Errors
    /// `KeyUnavailable` (a document's KEK is already gone), `Integrity`,
    /// `Unavailable`.
    pub async fn rewrap_all(&self, limit: usize) -> Result<usize, StoreError> {
        let current = self.kms.current_key_id().await?;
        let mut done = 0;
        for c in self.contents.contents_not_under(&current, limit).await? {
            let new = self.kms.rewrap(&c.wrapped_key, c.id.as_bytes()).await?;
            // `false`: someone else replaced it meanwhile, also done.
            self.contents
                .replace_key(&c.id, &c.wrapped_key, new)
                .await?;
            done += 1;
        }
        Ok(done)
    }
}
