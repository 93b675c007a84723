//! Idempotency keys expire 24 hours after their first use (issue 9, item 8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hcas_core::ErrorCode;
use hcas_core::Timestamp;
use hcas_core::booking::{BookOptions, BookOutcome, Booking, IDEMPOTENCY_TTL, Ledger};

fn at(secs: i64) -> Timestamp {
    // 2026-05-01T00:00:00Z plus `secs`.
    Timestamp::from_unix(1_777_593_600 + secs).unwrap()
}

fn booking(id: &str, hour: i64) -> Booking {
    Booking::new(
        id,
        vec!["provider:P1".into()],
        hcas_core::Interval::new(
            at(40 * 86_400 + hour * 3600),
            at(40 * 86_400 + hour * 3600 + 1800),
        )
        .unwrap(),
    )
}

#[test]
fn the_ttl_is_24_hours() {
    assert_eq!(IDEMPOTENCY_TTL, 24 * 60 * 60);
}

#[test]
fn a_key_is_remembered_for_24_hours_then_forgotten() {
    let mut ledger = Ledger::new();
    let first = ledger
        .book(
            booking("a", 9),
            BookOptions::at(at(0)).idempotency_key("k1"),
        )
        .unwrap();
    assert!(matches!(first, BookOutcome::Booked(_)));
    // A repeat within the TTL answers with the first booking.
    let again = ledger
        .book(
            booking("a", 9),
            BookOptions::at(at(IDEMPOTENCY_TTL - 1)).idempotency_key("k1"),
        )
        .unwrap();
    assert!(matches!(again, BookOutcome::Existing(ref b) if b.id == "a"));
    // The same key for other details within the TTL is refused.
    let err = ledger
        .book(
            booking("b", 11),
            BookOptions::at(at(IDEMPOTENCY_TTL - 1)).idempotency_key("k1"),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    // At first use + TTL the key is forgotten: it books anew.
    let later = ledger
        .book(
            booking("b", 11),
            BookOptions::at(at(IDEMPOTENCY_TTL)).idempotency_key("k1"),
        )
        .unwrap();
    assert!(matches!(later, BookOutcome::Booked(ref b) if b.id == "b"));
    // And is remembered from this new first use.
    let again = ledger
        .book(
            booking("b", 11),
            BookOptions::at(at(IDEMPOTENCY_TTL + 10)).idempotency_key("k1"),
        )
        .unwrap();
    assert!(matches!(again, BookOutcome::Existing(ref b) if b.id == "b"));
    assert_eq!(ledger.len(), 2);
}

#[test]
fn expired_keys_are_pruned() {
    let mut ledger = Ledger::new();
    for i in 0..500 {
        ledger
            .book(
                booking(&format!("a{i}"), i),
                BookOptions::at(at(i)).idempotency_key(format!("k{i}").as_str()),
            )
            .unwrap();
    }
    assert_eq!(ledger.idempotency_keys(), 500);
    // A day after the 250th key's first use, keys 0..=250 have expired.
    ledger.expire_idempotency_keys(at(250 + IDEMPOTENCY_TTL));
    assert_eq!(ledger.idempotency_keys(), 249);
    // Booking prunes too.
    ledger
        .book(
            booking("late", 600),
            BookOptions::at(at(10 * IDEMPOTENCY_TTL)).idempotency_key("new"),
        )
        .unwrap();
    assert_eq!(ledger.idempotency_keys(), 1);
}
