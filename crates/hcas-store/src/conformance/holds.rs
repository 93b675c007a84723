//! Holds and idempotency keys: a live hold blocks, an expired one does not;
//! a repeated key returns its booking until it expires.

use super::*;

/// A live hold blocks; an expired one does not.
pub async fn suite_holds(store: &dyn AppointmentStore) {
    store
        .book(held("h1", 0, 30, 10, &["provider:P1"]), None, at(0))
        .await
        .unwrap();
    let r = store
        .book(booked("b1", 0, 30, &["provider:P1"]), None, at(5))
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P1", &["h1"])]);
    // At the expiry instant the hold has lapsed.
    store
        .book(booked("b1", 0, 30, &["provider:P1"]), None, at(10))
        .await
        .unwrap();
    let err = store
        .book(
            booked("h2", 0, 30, &["provider:P2"]).tap_held(),
            None,
            at(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
}

pub(super) trait TapHeld {
    fn tap_held(self) -> Self;
}
impl TapHeld for Booking {
    /// Held without an expiry: invalid.
    fn tap_held(mut self) -> Self {
        self.status = Status::Held;
        self
    }
}

/// A repeated idempotency key returns the first booking and writes one event.
pub async fn suite_idempotency(store: &dyn AppointmentStore) {
    let now = at(-60);
    let first = store
        .book(booked("a1", 0, 30, &["provider:P1"]), Some("k1"), now)
        .await
        .unwrap();
    // A retry, even with a freshly generated id, returns the first booking.
    let again = store
        .book(booked("a1-retry", 0, 30, &["provider:P1"]), Some("k1"), now)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 1,
            outbox: 1
        }
    );
    let err = store
        .book(booked("a2", 30, 60, &["provider:P1"]), Some("k1"), now)
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
    assert!(matches!(
        store.get("a1-retry").await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Idempotency keys expire [`crate::IDEMPOTENCY_TTL_SECONDS`] (24 h) after
/// their first use, by the caller's `now`: reused within the TTL the key
/// returns the first booking (and refuses other details); reused after it,
/// the key is forgotten and the request books anew, and the key then
/// belongs to the new booking.
pub async fn suite_idempotency_expires(store: &dyn AppointmentStore) {
    let ttl_minutes = crate::IDEMPOTENCY_TTL_SECONDS / 60;
    let first_use = at(-60);
    let first = store
        .book(booked("a1", 0, 30, &["provider:P1"]), Some("k1"), first_use)
        .await
        .unwrap();
    // One minute before expiry: still the first booking, and still bound to its details.
    let late = first_use.plus_minutes(ttl_minutes - 1).unwrap();
    let again = store
        .book(
            booked("a1-retry", 0, 30, &["provider:P1"]),
            Some("k1"),
            late,
        )
        .await
        .unwrap();
    assert_eq!(again, first);
    let err = store
        .book(booked("a2", 60, 90, &["provider:P1"]), Some("k1"), late)
        .await
        .unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
    // One minute after expiry: forgotten, so other details book anew.
    let expired = first_use.plus_minutes(ttl_minutes + 1).unwrap();
    let anew = store
        .book(booked("a2", 60, 90, &["provider:P1"]), Some("k1"), expired)
        .await
        .unwrap();
    assert_eq!((anew.value.id.as_str(), anew.version), ("a2", 1));
    assert_eq!(store.get("a2").await.unwrap(), anew);
    // A same-details repeat after expiry books anew too (here it meets the first booking).
    let k2 = store
        .book(
            booked("b1", 120, 150, &["provider:P2"]),
            Some("k2"),
            first_use,
        )
        .await
        .unwrap();
    assert_eq!(k2.value.id, "b1");
    let r = store
        .book(
            booked("b1-again", 120, 150, &["provider:P2"]),
            Some("k2"),
            expired,
        )
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P2", &["b1"])]);
    // The key now belongs to the new booking a2, from its new first use.
    let repeat = store
        .book(
            booked("a2-retry", 60, 90, &["provider:P1"]),
            Some("k1"),
            expired,
        )
        .await
        .unwrap();
    assert_eq!(repeat, anew);
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 3,
            outbox: 3
        }
    );
}
