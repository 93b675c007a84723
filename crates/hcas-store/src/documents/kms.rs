//! Key management for envelope encryption: [`DataKey`] (one per document),
//! [`WrappedKey`] (a data key encrypted by a key-encryption key), the [`Kms`]
//! interface and its default adapter, [`LocalKms`] (a key file on disk).
//!
//! No type here prints key material: the `Debug` impls show key ids only.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::StoreError;

/// A document's data key (DEK): 256 random bits, zeroed when dropped.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh key from the operating system's CSPRNG.
    ///
    /// # Errors
    /// `Unavailable` if the random source fails.
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self(Zeroizing::new(aead::random::<KEY_LEN>()?)))
    }

    /// A key from its bytes (for [`Kms`] adapters that unwrap elsewhere).
    #[must_use]
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The key's bytes (for [`Kms`] adapters). Never log them.
    #[must_use]
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// A data key encrypted by the key-encryption key (KEK) version `kek_id`.
/// Not secret on its own (it needs the KEK), but destroying every copy of it
/// destroys the document (crypto-shredding).
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The KEK version that wrapped it (e.g. `k2`).
    pub kek_id: String,
    /// The adapter's encoding of the wrapped key (for [`LocalKms`]:
    /// nonce, encrypted key and tag, 60 bytes).
    pub bytes: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey")
            .field("kek_id", &self.kek_id)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// A key-management service: wraps and unwraps data keys under its current
/// key-encryption key. `context` is bound into the wrapping (the document
/// id), so a wrapped key only unwraps for the document it was made for.
///
/// Adapters: [`LocalKms`] (a key file) here; a cloud KMS later, implementing
/// the same three calls.
#[async_trait]
pub trait Kms: Send + Sync + fmt::Debug {
    /// The id of the KEK version that [`Kms::wrap`] uses now.
    ///
    /// # Errors
    /// `KeyUnavailable` if the KMS cannot be used.
    async fn current_key_id(&self) -> Result<String, StoreError>;

    /// `key` wrapped by the current KEK, bound to `context`.
    ///
    /// # Errors
    /// `KeyUnavailable`, `Unavailable`.
    async fn wrap(&self, key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError>;

    /// The data key inside `wrapped`, which must have been wrapped for `context`.
    ///
    /// # Errors
    /// `KeyUnavailable` if its KEK version is retired or unknown; `Integrity`
    /// if the wrapped key was altered or belongs to another context.
    async fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<DataKey, StoreError>;

    /// `wrapped` re-wrapped by the current KEK (key rotation without
    /// re-encrypting the document). A key already under the current KEK is
    /// wrapped again (a fresh wrapping of the same data key).
    ///
    /// # Errors
    /// As [`Kms::unwrap`] and [`Kms::wrap`].
    async fn rewrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        let key = self.unwrap(wrapped, context).await?;
        self.wrap(&key, context).await
    }
}

/// The key file's format tag.
const FILE_FORMAT: &str = "hcas-kek/1";

/// What the key file holds (JSON): the current version and every version
/// not yet retired, each a 256-bit key in hex.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    current: String,
    keys: Vec<KeyEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    id: String,
    key: String,
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

struct Ring {
    current: String,
    keys: Vec<(String, Zeroizing<[u8; KEY_LEN]>)>,
}

impl Ring {
    fn get(&self, id: &str) -> Option<&[u8; KEY_LEN]> {
        self.keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, key)| &**key)
    }

    /// The next version id: `k` and one more than the highest number in use.
    fn next_id(&self) -> String {
        let n = self
            .keys
            .iter()
            .filter_map(|(id, _)| id.strip_prefix('k')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        format!("k{}", n + 1)
    }
}

/// The default [`Kms`]: key-encryption keys in a local file (mode 0600,
/// created with a first version `k1` if missing). [`LocalKms::rotate`] adds a
/// version and makes it current; [`LocalKms::retire`] removes an old one once
/// nothing is wrapped by it any more. Each change rewrites the file
/// atomically (a 0600 temporary file renamed over it).
///
/// The file is refused if group or others may read or write it.
pub struct LocalKms {
    path: PathBuf,
    ring: RwLock<Ring>,
}

impl fmt::Debug for LocalKms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("LocalKms");
        d.field("path", &self.path);
        if let Ok(r) = self.ring.read() {
            d.field("current", &r.current);
            d.field(
                "versions",
                &r.keys.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            );
        }
        d.finish_non_exhaustive()
    }
}

fn key_error(path: &Path, what: impl fmt::Display) -> StoreError {
    StoreError::KeyUnavailable(format!("key file {}: {what}", path.display()))
}

impl LocalKms {
    /// Open the key file at `path`, creating it (mode 0600, one fresh KEK
    /// version `k1`) if it does not exist.
    ///
    /// # Errors
    /// `KeyUnavailable` if the file cannot be read or created, is not a key
    /// file, or is readable or writable by group or others (the message says
    /// to `chmod 600` it).
    pub fn open_or_create(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        if !path.exists() {
            let ring = Ring {
                current: "k1".into(),
                keys: vec![("k1".into(), Zeroizing::new(aead::random::<KEY_LEN>()?))],
            };
            write_new(&path, &ring)?;
        }
        Self::open(path)
    }

    /// Open an existing key file.
    ///
    /// # Errors
    /// As [`LocalKms::open_or_create`], and when the file is missing.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        check_mode(&path)?;
        let raw = Zeroizing::new(std::fs::read(&path).map_err(|e| key_error(&path, e))?);
        let file: KeyFile = serde_json::from_slice(&raw).map_err(|e| {
            // serde_json's message names a position, never the content.
            key_error(&path, format!("not an hcas key file ({e})"))
        })?;
        if file.format != FILE_FORMAT {
            return Err(key_error(
                &path,
                format!("format {:?}, expected {FILE_FORMAT:?}", file.format),
            ));
        }
        let mut keys = Vec::with_capacity(file.keys.len());
        for e in &file.keys {
            let Some(key) = aead::unhex::<KEY_LEN>(&e.key) else {
                return Err(key_error(
                    &path,
                    format!("key {} is not 64 hex digits (a 256-bit key)", e.id),
                ));
            };
            if keys.iter().any(|(id, _)| id == &e.id) {
                return Err(key_error(&path, format!("key id {} is listed twice", e.id)));
            }
            keys.push((e.id.clone(), Zeroizing::new(key)));
        }
        let ring = Ring {
            current: file.current.clone(),
            keys,
        };
        if ring.get(&ring.current).is_none() {
            return Err(key_error(
                &path,
                format!("current key {} is not in the file", ring.current),
            ));
        }
        Ok(Self {
            path,
            ring: RwLock::new(ring),
        })
    }

    /// Add a fresh KEK version and make it current; return its id. Data keys
    /// wrapped by older versions still unwrap until those are retired.
    ///
    /// # Errors
    /// `KeyUnavailable` if the file cannot be rewritten (nothing changes).
    pub fn rotate(&self) -> Result<String, StoreError> {
        let mut ring = self.write_ring()?;
        let id = ring.next_id();
        let next = Ring {
            current: id.clone(),
            keys: ring
                .keys
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(std::iter::once((
                    id.clone(),
                    Zeroizing::new(aead::random::<KEY_LEN>()?),
                )))
                .collect(),
        };
        replace(&self.path, &next)?;
        *ring = next;
        Ok(id)
    }

    /// Remove KEK version `id` for good: data keys still wrapped by it can
    /// no longer be unwrapped. Re-wrap them first
    /// ([`super::Documents::rewrap_all`]).
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`) for the current version or an unknown
    /// id; `KeyUnavailable` if the file cannot be rewritten.
    pub fn retire(&self, id: &str) -> Result<(), StoreError> {
        let mut ring = self.write_ring()?;
        if ring.current == id {
            return Err(hcas_core::Error::new(
                hcas_core::ErrorCode::InvalidRequest,
                format!("key {id} is the current key-encryption key: rotate first, then retire it"),
            )
            .into());
        }
        if ring.get(id).is_none() {
            return Err(hcas_core::Error::new(
                hcas_core::ErrorCode::InvalidRequest,
                format!("key {id} is not in the key file"),
            )
            .into());
        }
        let next = Ring {
            current: ring.current.clone(),
            keys: ring
                .keys
                .iter()
                .filter(|(k, _)| k != id)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        replace(&self.path, &next)?;
        *ring = next;
        Ok(())
    }

    /// The ids of the versions in the file, oldest first.
    #[must_use]
    pub fn versions(&self) -> Vec<String> {
        self.ring
            .read()
            .map(|r| r.keys.iter().map(|(id, _)| id.clone()).collect())
            .unwrap_or_default()
    }

    fn write_ring(&self) -> Result<std::sync::RwLockWriteGuard<'_, Ring>, StoreError> {
        self.ring
            .write()
            .map_err(|_| StoreError::Internal("key ring lock poisoned".into()))
    }

    fn read_ring(&self) -> Result<std::sync::RwLockReadGuard<'_, Ring>, StoreError> {
        self.ring
            .read()
            .map_err(|_| StoreError::Internal("key ring lock poisoned".into()))
    }
}

/// The associated data of a wrapping: what the wrapped key is bound to.
fn wrap_aad(kek_id: &str, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + kek_id.len() + context.len());
    aad.extend_from_slice(b"hcas-dek/1\0");
    aad.extend_from_slice(kek_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(context);
    aad
}

#[async_trait]
impl Kms for LocalKms {
    async fn current_key_id(&self) -> Result<String, StoreError> {
        Ok(self.read_ring()?.current.clone())
    }

    async fn wrap(&self, key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        let ring = self.read_ring()?;
        let kek_id = ring.current.clone();
        let kek = ring
            .get(&kek_id)
            .ok_or_else(|| StoreError::Internal("current key missing from the ring".into()))?;
        let nonce = aead::random::<NONCE_LEN>()?;
        let mut buf = key.expose().to_vec();
        aead::seal(
            &aead::cipher(kek),
            &nonce,
            &wrap_aad(&kek_id, context),
            &mut buf,
        )?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&buf);
        Ok(WrappedKey { kek_id, bytes })
    }

    async fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<DataKey, StoreError> {
        let ring = self.read_ring()?;
        let kek = ring.get(&wrapped.kek_id).ok_or_else(|| {
            StoreError::KeyUnavailable(format!(
                "key-encryption key {} is not in {} (retired or from another key file); \
                 restore that version or re-upload the document",
                wrapped.kek_id,
                self.path.display()
            ))
        })?;
        let tamper = || {
            StoreError::Integrity(format!(
                "the wrapped data key (under {}) failed authentication: it was altered or \
                 belongs to another document",
                wrapped.kek_id
            ))
        };
        if wrapped.bytes.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
            return Err(tamper());
        }
        let (nonce, sealed) = wrapped.bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| tamper())?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        if !aead::open(
            &aead::cipher(kek),
            &nonce,
            &wrap_aad(&wrapped.kek_id, context),
            &mut buf,
        ) {
            return Err(tamper());
        }
        let key: [u8; KEY_LEN] = buf.as_slice().try_into().map_err(|_| tamper())?;
        Ok(DataKey::from_bytes(key))
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| key_error(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(key_error(
            path,
            format!(
                "group or others may access it (mode {:o}); run `chmod 600 {}`",
                mode & 0o777,
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

fn serialize(ring: &Ring) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let file = KeyFile {
        format: FILE_FORMAT.into(),
        current: ring.current.clone(),
        keys: ring
            .keys
            .iter()
            .map(|(id, key)| KeyEntry {
                id: id.clone(),
                key: aead::hex(&**key),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&file)
        .map_err(|e| StoreError::Internal(format!("key file encoding: {e}")))?;
    out.push(b'\n');
    Ok(Zeroizing::new(out))
}

/// Create `path` (mode 0600) holding `ring`; fails if it exists.
fn write_new(path: &Path, ring: &Ring) -> Result<(), StoreError> {
    use std::io::Write;
    let bytes = serialize(ring)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| key_error(path, e))?;
    f.write_all(&bytes).map_err(|e| key_error(path, e))?;
    f.sync_all().map_err(|e| key_error(path, e))?;
    Ok(())
}

/// Replace `path` with `ring` atomically: a 0600 temporary file beside it,
/// synced, then renamed over it.
fn replace(path: &Path, ring: &Ring) -> Result<(), StoreError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(key_error(&tmp, e)),
    }
    write_new(&tmp, ring)?;
    std::fs::rename(&tmp, path).map_err(|e| key_error(path, e))?;
    Ok(())
}
