//! [`FeedTokenStore`](crate::FeedTokenStore): create, get, list (by
//! subject), find by hash, permanent revocation, refused fields.

use super::*;
use crate::FeedToken;

fn feed(id: &str, hash_digit: char, subject: &str, created: i64) -> FeedToken {
    FeedToken {
        id: id.to_string(),
        token_hash: std::iter::repeat_n(hash_digit, 64).collect(),
        subject: subject.to_string(),
        creator: "doctor:D1".to_string(),
        creator_roles: vec!["doctor".to_string()],
        created: at(created),
        revoked: None,
    }
}

/// Create, get, list in creation order (all, and by subject), refuse a
/// taken id or hash and invalid fields.
pub async fn suite_feed_tokens(store: &dyn Store) {
    let b = feed("f-b", 'b', "Patient/X1", 1);
    let a = feed("f-a", 'a', "Practitioner/P1", 1);
    let c = feed("f-c", 'c', "Patient/X1", 0);
    for f in [&b, &a, &c] {
        assert_eq!(store.feed_create(f.clone()).await.unwrap(), *f);
    }
    assert_eq!(store.feed_get("f-b").await.unwrap(), b);
    assert!(matches!(
        store.feed_get("f-z").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.feed_list(None).await.unwrap(),
        vec![c.clone(), a.clone(), b.clone()]
    );
    assert_eq!(
        store.feed_list(Some("Patient/X1")).await.unwrap(),
        vec![c.clone(), b.clone()]
    );
    assert_eq!(store.feed_list(Some("Patient/X2")).await.unwrap(), vec![]);
    // A taken id, a taken hash.
    let mut same_id = feed("f-a", 'd', "Patient/X1", 2);
    assert!(matches!(
        store.feed_create(same_id.clone()).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    same_id.id = "f-d".to_string();
    same_id.token_hash = a.token_hash.clone();
    assert!(matches!(
        store.feed_create(same_id).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let mut bad = Vec::new();
    for (field, f) in [
        (
            "feed.id",
            FeedToken {
                id: "a b".into(),
                ..feed("x", 'e', "Patient/X1", 0)
            },
        ),
        (
            "feed.token_hash",
            FeedToken {
                token_hash: "E".repeat(64),
                ..feed("x", 'e', "Patient/X1", 0)
            },
        ),
        (
            "feed.token_hash",
            FeedToken {
                token_hash: "e".repeat(63),
                ..feed("x", 'e', "Patient/X1", 0)
            },
        ),
        ("feed.subject", feed("x", 'e', "Device/X1", 0)),
        ("feed.subject", feed("x", 'e', "Patient/", 0)),
        ("feed.subject", feed("x", 'e', "Patient", 0)),
        (
            "feed.creator",
            FeedToken {
                creator: String::new(),
                ..feed("x", 'e', "Patient/X1", 0)
            },
        ),
        (
            "feed.creator_roles",
            FeedToken {
                creator_roles: vec![],
                ..feed("x", 'e', "Patient/X1", 0)
            },
        ),
    ] {
        match store.feed_create(f).await {
            Err(StoreError::Invalid(e)) => {
                assert!(e.message().starts_with(field), "{field}: {e}");
            }
            other => bad.push(format!("{field}: {other:?}")),
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
    // Nothing of the refused ones was stored.
    assert_eq!(store.feed_list(None).await.unwrap().len(), 3);
}

/// A feed is found by its hash until revoked; revocation is permanent (a
/// second revoke keeps the first time) and leaves the other feeds alone.
pub async fn suite_feed_revocation(store: &dyn Store) {
    let a = feed("f-a", 'a', "Patient/X1", 0);
    let b = feed("f-b", 'b', "Patient/X1", 0);
    store.feed_create(a.clone()).await.unwrap();
    store.feed_create(b.clone()).await.unwrap();
    assert_eq!(store.feed_find(&a.token_hash).await.unwrap(), a);
    assert!(matches!(
        store.feed_find(&"f".repeat(64)).await,
        Err(StoreError::NotFound { .. })
    ));
    let revoked = store.feed_revoke("f-a", at(5)).await.unwrap();
    assert_eq!(revoked.revoked, Some(at(5)));
    assert!(matches!(
        store.feed_find(&a.token_hash).await,
        Err(StoreError::NotFound { .. })
    ));
    // Again: still revoked, at the first time.
    let again = store.feed_revoke("f-a", at(9)).await.unwrap();
    assert_eq!(again.revoked, Some(at(5)));
    assert_eq!(store.feed_get("f-a").await.unwrap().revoked, Some(at(5)));
    assert!(store.feed_find(&a.token_hash).await.is_err());
    // The revoked feed is still listed; the other still matches.
    let listed = store.feed_list(None).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(store.feed_find(&b.token_hash).await.unwrap(), b);
    // Its hash stays taken: a new feed cannot bring the token back.
    let mut reuse = feed("f-c", 'a', "Patient/X1", 1);
    reuse.token_hash.clone_from(&a.token_hash);
    assert!(store.feed_create(reuse).await.is_err());
    assert!(store.feed_find(&a.token_hash).await.is_err());
    assert!(matches!(
        store.feed_revoke("f-z", at(1)).await,
        Err(StoreError::NotFound { .. })
    ));
}
