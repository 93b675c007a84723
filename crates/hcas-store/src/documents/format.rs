//! The encrypted object's layout (version 1). All integers big-endian.
//!
//! ```text
//! header (24 bytes)
//!   0..8    magic "HCASENC1"
//!   8       format version, 1
//!   9       algorithm, 1 = AES-256-GCM
//!   10..12  reserved, zero
//!   12..16  chunk size C: plaintext bytes per chunk (u32)
//!   16..23  nonce prefix: 7 random bytes, fresh per document
//!   23      reserved, zero
//! chunks, in order, i = 0 .. n-1
//!   AES-256-GCM(DEK, nonce_i, aad = the 24 header bytes, plaintext chunk i)
//!   = ciphertext (C bytes; the last chunk 0..=C bytes) then a 16-byte tag
//! ```
//!
//! `nonce_i` = prefix (7) ‖ i as u32 (4) ‖ last (1: `0x01` for chunk n-1,
//! else `0x00`). A plaintext of `s` bytes has `n = max(1, ceil(s / C))`
//! chunks (an empty document is one empty last chunk), so the object is
//! `24 + s + 16 n` bytes long. Because the index and the last-chunk flag are
//! in the nonce, a chunk that is moved, dropped, or presented as the last one
//! when it was not, fails authentication; because the header is the
//! associated data of every chunk, any change to it fails every chunk.

use super::aead::{self, NONCE_LEN, TAG_LEN};
use crate::StoreError;

/// Length of the header.
pub const HEADER_LEN: usize = 24;
/// The header's first bytes.
pub const MAGIC: &[u8; 8] = b"HCASENC1";
/// Plaintext bytes per chunk unless configured otherwise (64 KiB).
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Smallest chunk size accepted (tests use small chunks to get many of them).
pub const MIN_CHUNK_SIZE: u32 = 16;
/// Largest chunk size accepted (1 MiB).
pub const MAX_CHUNK_SIZE: u32 = 1024 * 1024;
/// Length of the per-document nonce prefix.
pub const PREFIX_LEN: usize = 7;

const VERSION: u8 = 1;
const ALG_AES_256_GCM: u8 = 1;

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// The per-document nonce prefix.
    pub prefix: [u8; PREFIX_LEN],
}

impl Header {
    /// A header with a fresh random prefix.
    pub(crate) fn fresh(chunk_size: u32) -> Result<Self, StoreError> {
        Ok(Self {
            chunk_size,
            prefix: aead::random::<PREFIX_LEN>()?,
        })
    }

    /// The 24 header bytes.
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8] = VERSION;
        h[9] = ALG_AES_256_GCM;
        h[12..16].copy_from_slice(&self.chunk_size.to_be_bytes());
        h[16..23].copy_from_slice(&self.prefix);
        h
    }

    /// Parse the first [`HEADER_LEN`] bytes of an object.
    ///
    /// # Errors
    /// `Integrity` if they are not a version-1 header.
    pub fn parse(bytes: &[u8]) -> Result<Self, StoreError> {
        let bad = |why: &str| StoreError::Integrity(format!("document header {why}"));
        let h: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("is cut short"))?;
        if &h[..8] != MAGIC {
            return Err(bad("has the wrong magic bytes"));
        }
        if h[8] != VERSION || h[9] != ALG_AES_256_GCM || h[10] != 0 || h[11] != 0 || h[23] != 0 {
            return Err(bad("names an unknown version or algorithm"));
        }
        let chunk_size = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(bad("has an impossible chunk size"));
        }
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&h[16..23]);
        Ok(Self { chunk_size, prefix })
    }

    /// The nonce of chunk `index` (`last`: it is the document's last chunk).
    #[must_use]
    pub fn nonce(&self, index: u32, last: bool) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        n[..PREFIX_LEN].copy_from_slice(&self.prefix);
        n[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&index.to_be_bytes());
        n[NONCE_LEN - 1] = u8::from(last);
        n
    }
}

/// Where the chunks of a `size`-byte plaintext lie, with chunk size `chunk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Plaintext bytes per chunk.
    pub chunk: u64,
    /// Plaintext size.
    pub size: u64,
}

impl Layout {
    /// Number of chunks (at least 1).
    #[must_use]
    pub fn chunks(&self) -> u64 {
        self.size.div_ceil(self.chunk).max(1)
    }

    /// The encrypted object's length.
    #[must_use]
    pub fn object_len(&self) -> u64 {
        HEADER_LEN as u64 + self.size + TAG_LEN as u64 * self.chunks()
    }

    /// Plaintext bytes in chunk `i`.
    #[must_use]
    pub fn plain_len(&self, i: u64) -> u64 {
        if i + 1 < self.chunks() {
            self.chunk
        } else {
            self.size - (self.chunks() - 1) * self.chunk
        }
    }

    /// Byte offset of chunk `i` in the object.
    #[must_use]
    pub fn chunk_start(&self, i: u64) -> u64 {
        HEADER_LEN as u64 + i * (self.chunk + TAG_LEN as u64)
    }

    /// The chunks covering plaintext `start..end` (non-empty range), inclusive.
    #[must_use]
    pub fn covering(&self, start: u64, end: u64) -> (u64, u64) {
        (start / self.chunk, (end - 1) / self.chunk)
    }
}

/// Encrypts a document chunk by chunk (the caller decides which chunk is last).
pub(crate) struct Sealer {
    cipher: aes_gcm::Aes256Gcm,
    header: Header,
    encoded: [u8; HEADER_LEN],
    index: u32,
    done: bool,
}

impl Sealer {
    pub(crate) fn new(key: &super::DataKey, header: Header) -> Self {
        Self {
            cipher: aead::cipher(key.expose()),
            encoded: header.encode(),
            header,
            index: 0,
            done: false,
        }
    }

    pub(crate) fn header_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.encoded
    }

    /// Encrypt the next chunk (`plaintext` at most one chunk long, exactly
    /// one unless `last`) into `ciphertext ‖ tag`.
    pub(crate) fn seal(&mut self, plaintext: &[u8], last: bool) -> Result<Vec<u8>, StoreError> {
        let full = usize::try_from(self.header.chunk_size).unwrap_or(usize::MAX);
        if self.done || plaintext.len() > full || (!last && plaintext.len() != full) {
            return Err(StoreError::Internal(
                "document sealer misused (chunk after the last, or a short middle chunk)".into(),
            ));
        }
        let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
        buf.extend_from_slice(plaintext);
        aead::seal(
            &self.cipher,
            &self.header.nonce(self.index, last),
            &self.encoded,
            &mut buf,
        )?;
        self.done = last;
        self.index = self
            .index
            .checked_add(1)
            .ok_or_else(|| StoreError::Internal("document has more than 2^32 chunks".into()))?;
        Ok(buf)
    }
}

/// Decrypts chunks of one object whose header and plaintext size are known.
pub(crate) struct Opener {
    cipher: aes_gcm::Aes256Gcm,
    header: Header,
    encoded: [u8; HEADER_LEN],
    layout: Layout,
}

impl Opener {
    pub(crate) fn new(key: &super::DataKey, header: Header, size: u64) -> Self {
        Self {
            cipher: aead::cipher(key.expose()),
            encoded: header.encode(),
            layout: Layout {
                chunk: u64::from(header.chunk_size),
                size,
            },
            header,
        }
    }

    pub(crate) const fn layout(&self) -> Layout {
        self.layout
    }

    /// Authenticate and decrypt chunk `i` from `sealed` (`ciphertext ‖ tag`).
    ///
    /// # Errors
    /// `Integrity` naming the chunk; nothing of it is returned.
    pub(crate) fn open(&self, i: u64, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let fail = || {
            StoreError::Integrity(format!(
                "chunk {i} of the document failed authentication (altered, truncated, \
                 reordered or from another document); no plaintext was returned"
            ))
        };
        let index = u32::try_from(i).map_err(|_| fail())?;
        let last = i + 1 == self.layout.chunks();
        if sealed.len() as u64 != self.layout.plain_len(i) + TAG_LEN as u64 {
            return Err(fail());
        }
        let mut buf = sealed.to_vec();
        if aead::open(
            &self.cipher,
            &self.header.nonce(index, last),
            &self.encoded,
            &mut buf,
        ) {
            Ok(buf)
        } else {
            Err(fail())
        }
    }
}

/// The nonces used by an encrypted object of a `size`-byte plaintext, in
/// chunk order (for audits and tests: every nonce must be distinct).
///
/// # Errors
/// `Integrity` if `object` does not start with a valid header.
pub fn nonces(object: &[u8], size: u64) -> Result<Vec<[u8; NONCE_LEN]>, StoreError> {
    let header = Header::parse(object)?;
    let layout = Layout {
        chunk: u64::from(header.chunk_size),
        size,
    };
    let n = layout.chunks();
    (0..n)
        .map(|i| {
            let index = u32::try_from(i)
                .map_err(|_| StoreError::Integrity("more than 2^32 chunks".into()))?;
            Ok(header.nonce(index, i + 1 == n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_each_changed_fixed_byte() -> Result<(), StoreError> {
        let h = Header {
            chunk_size: 4096,
            prefix: [1, 2, 3, 4, 5, 6, 7],
        };
        let bytes = h.encode();
        assert_eq!(Header::parse(&bytes)?, h);
        // Magic, version, algorithm and reserved bytes are checked by parse.
        for pos in (0..12).chain([23]) {
            let mut b = bytes;
            b[pos] ^= 0x40;
            assert!(
                matches!(Header::parse(&b), Err(StoreError::Integrity(_))),
                "byte {pos}"
            );
        }
        assert!(Header::parse(&bytes[..HEADER_LEN - 1]).is_err());
        Ok(())
    }

    #[test]
    fn layout_counts_chunks_and_lengths() {
        let l = |size| Layout { chunk: 10, size };
        assert_eq!(l(0).chunks(), 1);
        assert_eq!(l(0).plain_len(0), 0);
        assert_eq!(l(10).chunks(), 1);
        assert_eq!(l(10).plain_len(0), 10);
        assert_eq!(l(11).chunks(), 2);
        assert_eq!(l(11).plain_len(1), 1);
        assert_eq!(l(25).object_len(), 24 + 25 + 3 * 16);
        assert_eq!(l(25).chunk_start(2), 24 + 2 * 26);
        assert_eq!(l(25).covering(9, 11), (0, 1));
        assert_eq!(l(25).covering(20, 25), (2, 2));
    }

    #[test]
    fn nonces_differ_by_index_and_last_flag() {
        let h = Header {
            chunk_size: 16,
            prefix: [9; PREFIX_LEN],
        };
        assert_ne!(h.nonce(0, false), h.nonce(1, false));
        assert_ne!(h.nonce(3, false), h.nonce(3, true));
        assert_eq!(&h.nonce(258, true)[PREFIX_LEN..], &[0, 0, 1, 2, 1]);
    }
}
