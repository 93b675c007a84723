//! [`AnchorStore`](crate::AnchorStore): bookings that drifted off their wall time
//! after a tz rule change, and re-anchoring them.

use super::*;

use hcas_core::anchor::WallAnchor;

/// Test support: write a booking as the adapter's `book` would, without the
/// anchor check, as if it had been made under older tz data.
#[async_trait::async_trait]
pub trait Plant: Store {
    /// Store `b` (valid, not conflicting) with its `appointment.created` event.
    async fn plant(&self, b: Booking, now: Timestamp);
}

#[cfg(feature = "memory")]
#[async_trait::async_trait]
impl Plant for crate::memory::MemoryStore {
    async fn plant(&self, b: Booking, now: Timestamp) {
        self.plant_unchecked(b, now).await;
    }
}

#[cfg(feature = "sqlite")]
#[async_trait::async_trait]
impl Plant for crate::sqlite::SqliteStore {
    async fn plant(&self, b: Booking, now: Timestamp) {
        self.plant_unchecked(b, now).await;
    }
}

#[cfg(feature = "postgres")]
#[async_trait::async_trait]
impl Plant for crate::postgres::PgStore {
    async fn plant(&self, b: Booking, now: Timestamp) {
        self.plant_unchecked(b, now).await;
    }
}

fn utc(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// A booking on `resource` at UTC `start`..`end`, anchored at local
/// `local_start`..`local_end` in `zone`.
fn anchored(
    id: &str,
    resource: &str,
    (start, end): (&str, &str),
    zone: &str,
    (local_start, local_end): (&str, &str),
) -> Booking {
    let mut b = Booking::new(
        id,
        vec![resource.to_string()],
        Interval::new(utc(start), utc(end)).unwrap(),
    );
    b.anchor = Some(Box::new(WallAnchor::new(
        hcas_core::Zone::parse(zone).unwrap(),
        hcas_core::time::parse_local_datetime(local_start).unwrap(),
        hcas_core::time::parse_local_datetime(local_end).unwrap(),
    )));
    b
}

/// Bookings whose instants were computed under other offsets than today's
/// tz data says (Mexico City in July at the pre-2022 UTC-5 where the data
/// now says UTC-6; Berlin in July computed without DST) are listed by the
/// sweep with the instants their wall time has now; correct, past,
/// cancelled and unanchored ones are not. Re-anchoring moves a booking (same
/// id, version + 1, an `appointment.reanchored` event, its resources follow)
/// and the sweep then no longer lists it; a re-anchor onto a taken slot is
/// refused with the conflict and changes nothing. `book` refuses an anchor
/// that does not resolve to the booking's instants today.
pub async fn suite_anchor_drift(store: &dyn Plant) {
    let now = utc("2026-06-01T00:00:00Z");
    let mx = anchored(
        "mx",
        "provider:P1",
        ("2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z"),
        "America/Mexico_City",
        ("2026-07-15T09:00", "2026-07-15T09:30"),
    );
    let de = anchored(
        "de",
        "provider:P1",
        ("2026-07-15T09:00:00Z", "2026-07-15T10:00:00Z"),
        "Europe/Berlin",
        ("2026-07-15T10:00", "2026-07-15T11:00"),
    );
    let taken = anchored(
        "taken",
        "provider:P2",
        ("2026-07-20T14:00:00Z", "2026-07-20T14:30:00Z"),
        "America/Mexico_City",
        ("2026-07-20T09:00", "2026-07-20T09:30"),
    );
    let past = anchored(
        "past",
        "provider:P3",
        ("2026-05-20T14:00:00Z", "2026-05-20T14:30:00Z"),
        "America/Mexico_City",
        ("2026-05-20T09:00", "2026-05-20T09:30"),
    );
    let mut cancelled = anchored(
        "cancelled",
        "provider:P3",
        ("2026-07-21T14:00:00Z", "2026-07-21T14:30:00Z"),
        "America/Mexico_City",
        ("2026-07-21T09:00", "2026-07-21T09:30"),
    );
    cancelled.status = Status::Cancelled;
    let created = utc("2021-06-01T00:00:00Z");
    for b in [&mx, &de, &taken, &past, &cancelled] {
        store.plant(b.clone(), created).await;
    }
    // Made today, with the wall time resolved by today's data: accepted, never listed.
    let ok = anchored(
        "ok",
        "provider:P1",
        ("2026-07-16T08:00:00Z", "2026-07-16T09:00:00Z"),
        "Europe/Berlin",
        ("2026-07-16T10:00", "2026-07-16T11:00"),
    );
    store.book(ok.clone(), None, now).await.unwrap();
    store
        .book(
            Booking::new(
                "plain",
                vec!["provider:P1".into()],
                Interval::new(utc("2026-07-17T14:00:00Z"), utc("2026-07-17T14:30:00Z")).unwrap(),
            ),
            None,
            now,
        )
        .await
        .unwrap();
    // The slot `taken` should move to is booked by someone else.
    store
        .book(
            Booking::new(
                "blocker",
                vec!["provider:P2".into()],
                Interval::new(utc("2026-07-20T15:00:00Z"), utc("2026-07-20T15:30:00Z")).unwrap(),
            ),
            None,
            now,
        )
        .await
        .unwrap();
    // `book` refuses an anchor that is not the booking's instants today.
    let mut stale = mx.clone();
    stale.id = "stale".into();
    stale.resources = vec!["provider:P9".into()];
    let err = store.book(stale, None, now).await.unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest), "{err}");
    assert!(err.to_string().contains("2026-07-15T15:00:00Z"), "{err}");

    let page = store.drifted(now, None, 100).await.unwrap();
    let listed: Vec<(&str, String, String)> = page
        .drifted
        .iter()
        .map(|d| {
            (
                d.id.as_str(),
                d.wanted_start.to_string(),
                d.wanted_end.to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "de",
                "2026-07-15T08:00:00Z".into(),
                "2026-07-15T09:00:00Z".into()
            ),
            (
                "mx",
                "2026-07-15T15:00:00Z".into(),
                "2026-07-15T15:30:00Z".into()
            ),
            (
                "taken",
                "2026-07-20T15:00:00Z".into(),
                "2026-07-20T15:30:00Z".into()
            ),
        ]
    );
    assert_eq!(page.next, None);
    assert_eq!(page.drifted[1].start, utc("2026-07-15T14:00:00Z"));
    assert_eq!(page.drifted[1].shift_seconds(), 3600);
    // Page by page, one at a time.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let p = store.drifted(now, after.as_ref(), 1).await.unwrap();
        assert!(p.drifted.len() <= 1);
        seen.extend(p.drifted.into_iter().map(|d| d.id));
        match p.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["de", "mx", "taken"]);
    let err = store.drifted(now, None, 0).await.unwrap_err();
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
    // Once `mx` has begun, it is left as it is.
    let later = store
        .drifted(utc("2026-07-15T14:10:00Z"), None, 100)
        .await
        .unwrap();
    let ids: Vec<&str> = later.drifted.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["taken"]);

    // Onto a taken slot: refused with the conflict, nothing changes.
    let before = store.counts().await.unwrap();
    let r = store.reanchor("taken", 1, now).await;
    assert_eq!(conflicts_of(r), vec![c("provider:P2", &["blocker"])]);
    assert_eq!(store.get("taken").await.unwrap().value, taken);
    assert_eq!(store.counts().await.unwrap(), before);
    // Stale version, no anchor, past, cancelled: refused.
    let r = store.reanchor("mx", 2, now).await;
    assert_eq!(r.unwrap_err().code(), "version_mismatch");
    for id in ["plain", "past", "cancelled"] {
        let r = store.reanchor(id, 1, now).await;
        assert_eq!(
            code_of(r),
            ("invalid", Some(ErrorCode::InvalidRequest)),
            "{id}"
        );
    }
    // On its wall time already: unchanged, no new version or event.
    assert_eq!(store.reanchor("ok", 1, now).await.unwrap().value, ok);
    assert_eq!(store.counts().await.unwrap(), before);

    // Re-anchor `mx`: same booking, new instants, version 2, one event.
    let moved = store.reanchor("mx", 1, now).await.unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(
        (moved.value.start, moved.value.end),
        (utc("2026-07-15T15:00:00Z"), utc("2026-07-15T15:30:00Z"))
    );
    assert_eq!(
        (&moved.value.id, moved.value.status, &moved.value.anchor),
        (&mx.id, mx.status, &mx.anchor)
    );
    assert_eq!(store.get("mx").await.unwrap(), moved);
    let events = store.outbox_pending(100).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.aggregate_id.as_str()),
        (kind::APPOINTMENT_REANCHORED, "mx")
    );
    assert_eq!(last.payload["start"], "2026-07-15T15:00:00Z");
    // Its resource moved with it: the old time is free, the new one taken.
    let probe = |id: &str, s: &str, e: &str| {
        Booking::new(
            id,
            vec!["provider:P1".into()],
            Interval::new(utc(s), utc(e)).unwrap(),
        )
    };
    store
        .book(
            probe("old-slot", "2026-07-15T14:00:00Z", "2026-07-15T14:30:00Z"),
            None,
            now,
        )
        .await
        .unwrap();
    let r = store
        .book(
            probe("new-slot", "2026-07-15T15:00:00Z", "2026-07-15T15:30:00Z"),
            None,
            now,
        )
        .await;
    assert_eq!(conflicts_of(r), vec![c("provider:P1", &["mx"])]);
    store.reanchor("de", 1, now).await.unwrap();
    // Free the slot `taken` wants (reschedule the blocker away), then re-anchor it.
    store
        .reschedule(
            "blocker",
            1,
            Booking::new(
                "blocker-2",
                vec!["provider:P2".into()],
                Interval::new(utc("2026-07-20T17:00:00Z"), utc("2026-07-20T17:30:00Z")).unwrap(),
            ),
            &crate::RescheduleRequest::new(Party::Staff, "make room", now),
        )
        .await
        .unwrap();
    store.reanchor("taken", 1, now).await.unwrap();
    let page = store.drifted(now, None, 100).await.unwrap();
    assert_eq!(page.drifted, vec![]);
    assert_eq!(page.next, None);
    // The moved booking's history counts the move as a version.
    assert_eq!(store.get("taken").await.unwrap().version, 2);
}
