//! Encrypted document storage through the real parts: a local directory as
//! the object store (object_store's `LocalFileSystem`), a real key file
//! (`LocalKms`) and the memory adapter for metadata. Tampering is done on
//! the files on disk, as an attacker with access to the storage would.
#![cfg(all(feature = "documents", feature = "memory"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod doc_support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use doc_support::{contains, files_under, plaintext};
use futures_util::StreamExt;
use hcas_core::ErrorCode;
use hcas_store::StoreError;
use hcas_store::documents::{
    ContentStore, DataKey, DocumentContent, Documents, Kms, LocalKms, format,
};
use hcas_store::memory::MemoryStore;
use sha2::{Digest, Sha256};

struct Fixture {
    dir: tempfile::TempDir,
    docs: Documents,
    kms: Arc<LocalKms>,
    meta: MemoryStore,
}

impl Fixture {
    fn new(chunk: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let kms = Arc::new(LocalKms::open_or_create(dir.path().join("keys.json")).unwrap());
        let meta = MemoryStore::new();
        let docs = Documents::local(
            dir.path().join("objects"),
            kms.clone(),
            Arc::new(meta.clone()),
        )
        .unwrap()
        .with_chunk_size(chunk)
        .unwrap();
        Self {
            dir,
            docs,
            kms,
            meta,
        }
    }

    fn objects_dir(&self) -> PathBuf {
        self.dir.path().join("objects")
    }

    fn object_file(&self, c: &DocumentContent) -> PathBuf {
        self.objects_dir().join(&c.object)
    }

    /// Replace the stored metadata of a document (an attacker with database access).
    async fn set_content(&self, c: DocumentContent) {
        self.meta.delete_content(&c.id).await.unwrap();
        self.meta.put_content(c).await.unwrap();
    }
}

fn is_integrity(r: &Result<Vec<u8>, StoreError>) -> bool {
    matches!(r, Err(StoreError::Integrity(_)))
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[tokio::test]
async fn stored_bytes_never_contain_the_plaintext() {
    let f = Fixture::new(format::DEFAULT_CHUNK_SIZE);
    let plain = plaintext(3 * 65536 + 1234);
    let c = f
        .docs
        .put_bytes("doc-1", "application/pdf", plain.clone())
        .await
        .unwrap();
    assert_eq!(c.size, plain.len() as u64);
    assert_eq!(c.sha256, sha256_hex(&plain));
    assert_eq!(c.content_type, "application/pdf");
    assert_eq!(f.docs.read("doc-1").await.unwrap(), plain);

    let files = files_under(&f.objects_dir());
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read(&files[0]).unwrap();
    assert_eq!(raw.len() as u64, 24 + plain.len() as u64 + 16 * 4);
    assert!(!contains(&raw, b"PATIENT-SECRET-MARKER"));
    // No 16-byte window of the plaintext, sampled across every chunk.
    for at in (0..plain.len() - 16).step_by(997) {
        assert!(
            !contains(&raw, &plain[at..at + 16]),
            "plaintext at {at} is in the object"
        );
    }
    // The key file holds keys, never document content.
    let keys = std::fs::read(f.dir.path().join("keys.json")).unwrap();
    assert!(!contains(&keys, b"PATIENT-SECRET-MARKER"));
}

#[tokio::test]
async fn every_flipped_bit_of_the_object_or_wrapped_key_fails_loudly() {
    let f = Fixture::new(32);
    let plain = plaintext(100); // chunks of 32, 32, 32 and 4 bytes
    let c = f
        .docs
        .put_bytes("doc-1", "image/png", plain.clone())
        .await
        .unwrap();
    let path = f.object_file(&c);
    let good = std::fs::read(&path).unwrap();
    assert_eq!(good.len(), 24 + 100 + 4 * 16);
    for byte in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[byte] ^= 1 << bit;
            std::fs::write(&path, &bad).unwrap();
            let r = f.docs.read("doc-1").await;
            assert!(is_integrity(&r), "bit {bit} of byte {byte}: {r:?}");
        }
        // A range inside the chunk holding this byte fails too (header bytes: every range).
        let mut bad = good.clone();
        bad[byte] ^= 0x80;
        std::fs::write(&path, &bad).unwrap();
        let chunk = if byte < 24 {
            0
        } else {
            (byte as u64 - 24) / 48
        };
        let start = chunk * 32;
        let r = f
            .docs
            .read_range("doc-1", start..(start + 1).min(100))
            .await;
        assert!(is_integrity(&r), "range read, byte {byte}: {r:?}");
    }
    std::fs::write(&path, &good).unwrap();
    assert_eq!(f.docs.read("doc-1").await.unwrap(), plain);

    for byte in 0..c.wrapped_key.bytes.len() {
        for bit in 0..8 {
            let mut bad = c.clone();
            bad.wrapped_key.bytes[byte] ^= 1 << bit;
            f.set_content(bad).await;
            let r = f.docs.read("doc-1").await;
            assert!(
                is_integrity(&r),
                "wrapped key bit {bit} of byte {byte}: {r:?}"
            );
        }
    }
    // Another document's wrapped key does not unwrap for this one.
    let other = f
        .docs
        .put_bytes("doc-2", "image/png", plain.clone())
        .await
        .unwrap();
    let mut swapped = c.clone();
    swapped.wrapped_key = other.wrapped_key.clone();
    f.set_content(swapped).await;
    assert!(is_integrity(&f.docs.read("doc-1").await));
    f.set_content(c).await;
    assert_eq!(f.docs.read("doc-1").await.unwrap(), plain);
}

#[tokio::test]
async fn truncated_dropped_swapped_or_extended_chunks_fail() {
    let f = Fixture::new(32);
    let plain = plaintext(96); // three full chunks; the third is the last
    let c = f
        .docs
        .put_bytes("doc-1", "application/fhir+json", plain.clone())
        .await
        .unwrap();
    let path = f.object_file(&c);
    let good = std::fs::read(&path).unwrap();
    assert_eq!(good.len(), 24 + 3 * 48);
    let chunk = |i: usize| good[24 + i * 48..24 + (i + 1) * 48].to_vec();

    for len in 0..good.len() {
        std::fs::write(&path, &good[..len]).unwrap();
        let r = f.docs.read("doc-1").await;
        assert!(is_integrity(&r), "truncated to {len}: {r:?}");
    }
    let dropped = [&good[..24], &chunk(0)[..], &chunk(2)[..]].concat();
    let swaps = [
        [&good[..24], &chunk(1)[..], &chunk(0)[..], &chunk(2)[..]].concat(),
        [&good[..24], &chunk(0)[..], &chunk(2)[..], &chunk(1)[..]].concat(),
    ];
    let extended = [&good[..], &chunk(2)[..]].concat();
    for (what, bytes) in [
        ("dropped", dropped.clone()),
        ("swap 0/1", swaps[0].clone()),
        ("swap 1/2", swaps[1].clone()),
        ("extended", extended),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let r = f.docs.read("doc-1").await;
        assert!(is_integrity(&r), "{what}: {r:?}");
        let r = f.docs.read_range("doc-1", 40..50).await;
        assert!(is_integrity(&r), "{what}, range: {r:?}");
    }

    // An attacker who cuts the last chunk AND fixes size and hash in the
    // database still fails: chunk 1 was not sealed as the last one.
    std::fs::write(&path, &good[..24 + 2 * 48]).unwrap();
    let mut cut = c.clone();
    cut.size = 64;
    cut.sha256 = sha256_hex(&plain[..64]);
    f.set_content(cut).await;
    let r = f.docs.read("doc-1").await;
    assert!(is_integrity(&r), "cut with fixed metadata: {r:?}");
    let r = f.docs.read_range("doc-1", 40..64).await;
    assert!(is_integrity(&r), "cut with fixed metadata, range: {r:?}");

    // Another document's object of the same size in its place fails.
    f.set_content(c.clone()).await;
    let other = f
        .docs
        .put_bytes("doc-2", "application/fhir+json", plain.clone())
        .await
        .unwrap();
    std::fs::copy(f.object_file(&other), &path).unwrap();
    assert!(is_integrity(&f.docs.read("doc-1").await));

    std::fs::write(&path, &good).unwrap();
    assert_eq!(f.docs.read("doc-1").await.unwrap(), plain);
}

#[tokio::test]
async fn no_nonce_repeats_across_ten_thousand_chunks() {
    let f = Fixture::new(16);
    let plain = plaintext(16 * 100); // 100 chunks each
    let mut nonces = HashSet::new();
    let mut prefixes = HashSet::new();
    for d in 0..100 {
        let id = format!("doc-{d}");
        let c = f
            .docs
            .put_bytes(&id, "text/plain", plain.clone())
            .await
            .unwrap();
        let raw = std::fs::read(f.object_file(&c)).unwrap();
        let ns = format::nonces(&raw, c.size).unwrap();
        assert_eq!(ns.len(), 100);
        prefixes.insert(format::Header::parse(&raw).unwrap().prefix);
        nonces.extend(ns);
    }
    assert_eq!(nonces.len(), 10_000, "a nonce repeated");
    assert_eq!(prefixes.len(), 100, "a nonce prefix repeated");
}

#[tokio::test]
async fn rotation_rewraps_keys_and_the_old_version_can_be_retired() {
    let f = Fixture::new(64);
    let key_file = f.dir.path().join("keys.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let a_plain = plaintext(500);
    let a = f
        .docs
        .put_bytes("doc-a", "application/pdf", a_plain.clone())
        .await
        .unwrap();
    assert_eq!(a.wrapped_key.kek_id, "k1");
    let a_object = std::fs::read(f.object_file(&a)).unwrap();

    assert_eq!(f.kms.rotate().unwrap(), "k2");
    assert_eq!(f.kms.current_key_id().await.unwrap(), "k2");
    let b_plain = plaintext(300);
    let b = f
        .docs
        .put_bytes("doc-b", "application/pdf", b_plain.clone())
        .await
        .unwrap();
    assert_eq!(b.wrapped_key.kek_id, "k2");
    // Old documents still read under the old version.
    assert_eq!(f.docs.read("doc-a").await.unwrap(), a_plain);

    // The rotation survives a reopen of the key file.
    let reopened = LocalKms::open(&key_file).unwrap();
    assert_eq!(reopened.versions(), ["k1", "k2"]);
    assert_eq!(
        reopened
            .unwrap(&a.wrapped_key, b"doc-a")
            .await
            .unwrap()
            .expose()
            .len(),
        32
    );

    // Retiring the current version is refused.
    let e = f.kms.retire("k2").unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest));

    assert_eq!(f.docs.rewrap_all(10).await.unwrap(), 1);
    assert_eq!(f.docs.rewrap_all(10).await.unwrap(), 0);
    let a2 = f.docs.content("doc-a").await.unwrap();
    assert_eq!(a2.wrapped_key.kek_id, "k2");
    assert_ne!(a2.wrapped_key, a.wrapped_key);
    // The document itself was not re-encrypted.
    assert_eq!(std::fs::read(f.object_file(&a2)).unwrap(), a_object);
    // The rewrapped key unwraps under the new version to the same data key.
    let old_dek = f.kms.unwrap(&a.wrapped_key, b"doc-a").await.unwrap();
    let new_dek = f.kms.unwrap(&a2.wrapped_key, b"doc-a").await.unwrap();
    assert_eq!(old_dek.expose(), new_dek.expose());

    f.kms.retire("k1").unwrap();
    assert_eq!(f.kms.versions(), ["k2"]);
    assert_eq!(f.docs.read("doc-a").await.unwrap(), a_plain);
    assert_eq!(f.docs.read("doc-b").await.unwrap(), b_plain);
    // A copy of the old wrapped key (say from a database backup) is dead.
    let e = f.kms.unwrap(&a.wrapped_key, b"doc-a").await.unwrap_err();
    assert_eq!(e.code(), "key_unavailable");
    let e = LocalKms::open(&key_file)
        .unwrap()
        .unwrap(&a.wrapped_key, b"doc-a")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "key_unavailable");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    LocalKms::open_or_create(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = LocalKms::open(&path).unwrap_err();
    assert_eq!(e.code(), "key_unavailable");
    assert!(e.to_string().contains("chmod 600"), "{e}");
}

#[test]
fn debug_output_never_shows_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let kms = LocalKms::open_or_create(&path).unwrap();
    kms.rotate().unwrap();
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let keys: Vec<String> = file["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 2);
    let shown = format!("{kms:?} {kms:#?}");
    assert!(shown.contains("k2"), "{shown}");
    for k in &keys {
        assert_eq!(k.len(), 64);
        assert!(!shown.contains(k.as_str()), "{shown}");
        assert!(!shown.contains(&k[..16]), "{shown}");
    }
    let dek = DataKey::from_bytes([0xab; 32]);
    let shown = format!("{dek:?}");
    assert!(!shown.contains("ab") && !shown.contains("171"), "{shown}");
}

#[tokio::test]
async fn crypto_shredded_documents_cannot_be_read_from_a_backup() {
    let f = Fixture::new(64);
    let plain = plaintext(1000);
    let c = f
        .docs
        .put_bytes("doc-1", "application/pdf", plain.clone())
        .await
        .unwrap();
    // A backup of the object storage taken before the delete.
    let backup = f.dir.path().join("backup");
    for file in files_under(&f.objects_dir()) {
        let rel = file.strip_prefix(f.objects_dir()).unwrap();
        std::fs::create_dir_all(backup.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&file, backup.join(rel)).unwrap();
    }
    f.docs.delete("doc-1").await.unwrap();
    assert!(!f.object_file(&c).exists());
    let e = f.docs.read("doc-1").await.unwrap_err();
    assert_eq!(e.code(), "not_found");

    // The backup still has the ciphertext, but nothing can open it.
    let restored = Documents::local(&backup, f.kms.clone(), Arc::new(f.meta.clone())).unwrap();
    assert!(backup.join(&c.object).exists());
    assert_eq!(
        restored.read("doc-1").await.unwrap_err().code(),
        "not_found"
    );
    // Not even under a new document's key at the old object's place.
    let fresh = f
        .docs
        .put_bytes("doc-1", "application/pdf", plain.clone())
        .await
        .unwrap();
    let mut forged = fresh.clone();
    forged.object = c.object.clone();
    f.set_content(forged).await;
    assert_eq!(
        restored.read("doc-1").await.unwrap_err().code(),
        "integrity"
    );
    assert_eq!(
        f.docs.delete("doc-2").await.unwrap_err().code(),
        "not_found"
    );
}

#[tokio::test]
async fn uploads_stream_in_pieces_and_stop_at_the_limit() {
    let f = Fixture::new(64);
    // Uneven pieces across chunk boundaries, sizes around chunk multiples.
    for (n, size) in [0usize, 1, 63, 64, 65, 128, 1000].into_iter().enumerate() {
        let plain = plaintext(size);
        let pieces: Vec<Result<Bytes, std::io::Error>> = plain
            .chunks(7)
            .map(|p| Ok(Bytes::copy_from_slice(p)))
            .chain([Ok(Bytes::new())])
            .collect();
        let id = format!("doc-{n}");
        let c = f
            .docs
            .put(&id, "text/plain", futures_util::stream::iter(pieces))
            .await
            .unwrap();
        assert_eq!(c.size, size as u64);
        assert_eq!(c.sha256, sha256_hex(&plain));
        assert_eq!(f.docs.read(&id).await.unwrap(), plain, "size {size}");
        let raw_len = std::fs::metadata(f.object_file(&c)).unwrap().len();
        assert_eq!(
            raw_len,
            24 + size as u64 + 16 * (size.div_ceil(64).max(1) as u64)
        );
    }

    let f = Fixture::new(64);
    let docs = f.docs.clone().with_max_size(10_000);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let body = futures_util::stream::iter(0..100).map(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1000]))
    });
    let e = docs.put("big", "application/pdf", body).await.unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::LimitExceeded));
    assert!(e.to_string().contains("10000"), "{e}");
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        11,
        "reading went on past the limit"
    );
    assert_eq!(docs.read("big").await.unwrap_err().code(), "not_found");
    assert_eq!(files_under(&f.objects_dir()), Vec::<PathBuf>::new());

    // A failing upload stream keeps nothing either.
    let body = futures_util::stream::iter([
        Ok(Bytes::from(vec![b'y'; 300])),
        Err(std::io::Error::other("client went away")),
    ]);
    let e = docs
        .put("broken", "application/pdf", body)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unavailable");
    assert_eq!(files_under(&f.objects_dir()), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn bad_input_is_refused_with_stable_codes() {
    let f = Fixture::new(64);
    f.docs
        .put_bytes("doc-1", "application/pdf", "x")
        .await
        .unwrap();
    let e = f
        .docs
        .put_bytes("doc-1", "application/pdf", "y")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "already_exists");
    let e = f
        .docs
        .put_bytes("doc 2", "application/pdf", "y")
        .await
        .unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest));
    let e = f.docs.put_bytes("doc-2", "pdf", "y").await.unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest));
    assert!(e.to_string().contains("media type"), "{e}");
    let e = f.docs.read_range("doc-1", 0..2).await.unwrap_err();
    assert_eq!(e.core_code(), Some(ErrorCode::InvalidRequest));
    assert_eq!(f.docs.read("nope").await.unwrap_err().code(), "not_found");
    assert!(f.docs.clone().with_chunk_size(8).is_err());
}

mod ranges {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn range_reads_return_exactly_the_slice(
            size in 0usize..700,
            chunk in 16u32..80,
            a in 0usize..=700,
            b in 0usize..=700,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (start, end) = (a.min(b).min(size), a.max(b).min(size));
            let got = rt.block_on(async {
                let f = Fixture::new(chunk);
                let plain = plaintext(size);
                f.docs.put_bytes("doc-1", "text/plain", plain.clone()).await.unwrap();
                let got = f.docs.read_range("doc-1", start as u64..end as u64).await.unwrap();
                (plain, got)
            });
            prop_assert_eq!(&got.1[..], &got.0[start..end]);
        }
    }
}

/// The server runs these calls in spawned tasks: their futures must be `Send`.
#[test]
fn document_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let f = Fixture::new(64);
    send(&f.docs.put_bytes("d", "text/plain", "x"));
    send(&f.docs.read("d"));
    send(&f.docs.read_range("d", 0..1));
    send(&f.docs.delete("d"));
    send(&f.docs.rewrap_all(1));
}
