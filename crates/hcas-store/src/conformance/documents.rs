//! [`ContentStore`]: encrypted documents' metadata and wrapped keys.

use crate::StoreError;
use crate::documents::{ContentStore, DocumentContent, WrappedKey};

fn content(id: &str, kek: &str, key_byte: u8) -> DocumentContent {
    DocumentContent {
        id: id.into(),
        object: format!("documents/{id}-object"),
        wrapped_key: WrappedKey {
            kek_id: kek.into(),
            // All 256 byte values, so a store that mangles binary shows it.
            bytes: (0..=255u8).map(|b| b ^ key_byte).collect(),
        },
        content_type: "application/fhir+json; fhirVersion=4.0".into(),
        size: 5_000_000_000,
        sha256: "ab".repeat(32),
        chunk_size: 65536,
    }
}

/// Create, read back exactly, refuse duplicates and bad rows, replace a
/// wrapped key only if unchanged, list by KEK, delete for good.
pub async fn suite_document_contents(store: &dyn ContentStore) {
    let a = content("doc-a", "k1", 0);
    let b = content("doc-b", "k2", 7);
    let c = content("doc-c", "k1", 9);
    for x in [&c, &a, &b] {
        store.put_content(x.clone()).await.unwrap();
    }
    assert_eq!(store.get_content("doc-a").await.unwrap(), a);
    assert_eq!(store.get_content("doc-b").await.unwrap(), b);

    let e = store
        .put_content(content("doc-a", "k9", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::AlreadyExists {
                what: "document",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        store.get_content("doc-a").await.unwrap(),
        a,
        "a refused put changed the row"
    );
    let mut bad = content("doc-d", "k1", 0);
    bad.sha256 = "not-hex".into();
    let e = store.put_content(bad).await.unwrap_err();
    assert_eq!(
        e.core_code(),
        Some(hcas_core::ErrorCode::InvalidRequest),
        "{e}"
    );
    assert_eq!(
        store.get_content("doc-d").await.unwrap_err().code(),
        "not_found"
    );

    // Documents not under k2, by id, limited.
    let ids = |v: Vec<DocumentContent>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.contents_not_under("k2", 10).await.unwrap()),
        ["doc-a", "doc-c"]
    );
    assert_eq!(
        ids(store.contents_not_under("k2", 1).await.unwrap()),
        ["doc-a"]
    );
    assert_eq!(
        ids(store.contents_not_under("k1", 10).await.unwrap()),
        ["doc-b"]
    );

    // Compare-and-swap of the wrapped key.
    let new = WrappedKey {
        kek_id: "k2".into(),
        bytes: vec![1, 2, 3],
    };
    assert!(
        store
            .replace_key("doc-a", &a.wrapped_key, new.clone())
            .await
            .unwrap()
    );
    let stale = store
        .replace_key("doc-a", &a.wrapped_key, content("x", "k3", 5).wrapped_key)
        .await
        .unwrap();
    assert!(!stale, "a stale replace went through");
    let got = store.get_content("doc-a").await.unwrap();
    assert_eq!(got.wrapped_key, new);
    assert_eq!(got.object, a.object);
    assert_eq!(
        ids(store.contents_not_under("k2", 10).await.unwrap()),
        ["doc-c"]
    );
    let e = store
        .replace_key("nope", &a.wrapped_key, new.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_found");

    // Delete: gone for good, other rows untouched.
    store.delete_content("doc-a").await.unwrap();
    assert_eq!(
        store.get_content("doc-a").await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(
        store.delete_content("doc-a").await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(store.get_content("doc-b").await.unwrap(), b);
    assert_eq!(
        ids(store.contents_not_under("k9", 10).await.unwrap()),
        ["doc-b", "doc-c"]
    );
}
