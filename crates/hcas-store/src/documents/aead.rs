//! The one place that calls AES-256-GCM: seal and open a buffer in place
//! with a 96-bit nonce and associated data (RustCrypto `aes-gcm`).

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Key};

/// Length of an AES-GCM authentication tag.
pub(crate) const TAG_LEN: usize = 16;

/// Length of an AES-256 key.
pub(crate) const KEY_LEN: usize = 32;

/// Length of an AES-GCM nonce.
pub(crate) const NONCE_LEN: usize = 12;

/// A cipher under `key` (a data key or a key-encryption key).
pub(crate) fn cipher(key: &[u8; KEY_LEN]) -> Aes256Gcm {
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key))
}

/// Encrypt `buf` in place and append the tag. Fails only for inputs beyond
/// AES-GCM's limits (64 GiB), which the callers' chunking never reaches.
pub(crate) fn seal(
    cipher: &Aes256Gcm,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(), crate::StoreError> {
    let nonce = aes_gcm::aead::Nonce::<Aes256Gcm>::from(*nonce);
    let tag = cipher
        .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
        .map_err(|_| crate::StoreError::Internal("AES-GCM refused to encrypt a chunk".into()))?;
    buf.extend_from_slice(tag.as_slice());
    Ok(())
}

/// Check the tag at the end of `buf` and decrypt the rest in place, leaving
/// the plaintext in `buf`. On failure `buf` is cleared (no unverified bytes
/// remain) and `false` is returned.
#[must_use]
pub(crate) fn open(
    cipher: &Aes256Gcm,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> bool {
    let Some(split) = buf.len().checked_sub(TAG_LEN) else {
        buf.clear();
        return false;
    };
    let nonce = aes_gcm::aead::Nonce::<Aes256Gcm>::from(*nonce);
    let (body, tag) = buf.split_at_mut(split);
    let Ok(tag) = aes_gcm::aead::Tag::<Aes256Gcm>::try_from(&*tag) else {
        buf.clear();
        return false;
    };
    if cipher
        .decrypt_inout_detached(&nonce, aad, body.into(), &tag)
        .is_ok()
    {
        buf.truncate(split);
        true
    } else {
        // Zero what the failed call may have left (it restores the
        // ciphertext, but nothing unverified should linger either way).
        buf.iter_mut().for_each(|b| *b = 0);
        buf.clear();
        false
    }
}

/// `n` bytes from the operating system's CSPRNG.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], crate::StoreError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| {
        crate::StoreError::Unavailable(format!("the operating system's random source failed: {e}"))
    })?;
    Ok(out)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// The bytes of lower- or upper-case hex `s`, if it is hex of exactly `N` bytes.
pub(crate) fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if s.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_bad_input() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xab, 0xff];
        let h = hex(&bytes);
        assert_eq!(h, "00017f80abff");
        assert_eq!(unhex::<6>(&h), Some(bytes));
        assert_eq!(unhex::<6>(&h.to_uppercase()), Some(bytes));
        assert_eq!(unhex::<6>("00017f80abf"), None);
        assert_eq!(unhex::<6>("00017f80abfg"), None);
    }

    #[test]
    fn open_refuses_a_wrong_nonce_aad_or_short_input() -> Result<(), crate::StoreError> {
        let c = cipher(&[7u8; KEY_LEN]);
        let mut buf = b"hello".to_vec();
        seal(&c, &[1u8; NONCE_LEN], b"aad", &mut buf)?;
        assert_eq!(buf.len(), 5 + TAG_LEN);
        let sealed = buf.clone();
        assert!(open(&c, &[1u8; NONCE_LEN], b"aad", &mut buf));
        assert_eq!(buf, b"hello");
        let mut b = sealed.clone();
        assert!(!open(&c, &[2u8; NONCE_LEN], b"aad", &mut b));
        assert!(b.is_empty());
        let mut b = sealed.clone();
        assert!(!open(&c, &[1u8; NONCE_LEN], b"aae", &mut b));
        let mut b = sealed[..TAG_LEN - 1].to_vec();
        assert!(!open(&c, &[1u8; NONCE_LEN], b"aad", &mut b));
        Ok(())
    }
}
