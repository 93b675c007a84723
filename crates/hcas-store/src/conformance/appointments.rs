//! [`AppointmentStore`]: booking, reading back, conflicts, capacities, busy
//! time, the outbox and the SQL adapters' overlap bound.

use super::*;

/// Before anything: a booking made is the booking read back, at version 1,
/// with one `appointment.created` event; unknown ids are `not_found`.
pub async fn suite_book_then_get(store: &dyn AppointmentStore) {
    let now = at(-60);
    let b = booked("a1", 0, 30, &["provider:P1", "patient:X1"]);
    let stored = store.book(b.clone(), None, now).await.unwrap();
    assert_eq!(stored.value, b);
    assert_eq!(stored.version, 1);
    let got = store.get("a1").await.unwrap();
    assert_eq!(got, stored);
    let err = store.get("nope").await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    let events = store.outbox_pending(10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, kind::APPOINTMENT_CREATED);
    assert_eq!(events[0].aggregate_id, "a1");
    assert_eq!(events[0].created, now);
    assert_eq!(events[0].payload["id"], "a1");
    store.outbox_mark_sent(&[events[0].id]).await.unwrap();
    assert!(store.outbox_pending(10).await.unwrap().is_empty());
    assert_eq!(
        store.counts().await.unwrap(),
        Counts {
            bookings: 1,
            outbox: 1
        }
    );
}

/// Every conflicting resource is reported, each with every blocking booking.
pub async fn suite_every_conflict_named(store: &dyn AppointmentStore) {
    let now = at(-60);
    store
        .book(
            booked("a1", 0, 30, &["provider:P1", "patient:X1"]),
            None,
            now,
        )
        .await
        .unwrap();
    store
        .book(
            booked("a2", 15, 45, &["provider:P2", "patient:X2"]),
            None,
            now,
        )
        .await
        .unwrap();
    store
        .book(booked("a3", 20, 50, &["room:R1", "patient:X3"]), None, now)
        .await
        .unwrap();
    // Touching, not overlapping: free.
    store
        .book(
            booked("a4", 30, 60, &["provider:P1", "patient:X9"]),
            None,
            now,
        )
        .await
        .unwrap();
    let err = store
        .book(
            booked("q", 10, 25, &["provider:P1", "patient:X2", "room:R1"]),
            None,
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("a1"));
    assert_eq!(
        conflicts_of::<()>(Err(err)),
        vec![
            c("patient:X2", &["a2"]),
            c("provider:P1", &["a1"]),
            c("room:R1", &["a3"])
        ]
    );
}

/// A room of capacity 3 takes 3 overlapping bookings, not 4.
pub async fn suite_capacity(store: &dyn AppointmentStore) {
    let now = at(-60);
    store.set_capacity("room:R1", 3).await.unwrap();
    for (i, p) in ["X1", "X2", "X3"].iter().enumerate() {
        let start = i64::try_from(i).unwrap() * 5;
        store
            .book(
                booked(
                    &format!("r{i}"),
                    start,
                    start + 30,
                    &["room:R1", &format!("patient:{p}")],
                ),
                None,
                now,
            )
            .await
            .unwrap();
    }
    let r = store
        .book(booked("r3", 12, 20, &["room:R1", "patient:X4"]), None, now)
        .await;
    assert_eq!(conflicts_of(r), vec![c("room:R1", &["r0", "r1", "r2"])]);
    // After the first one ends there is room again.
    store
        .book(booked("r4", 30, 40, &["room:R1", "patient:X4"]), None, now)
        .await
        .unwrap();
    let err = store.set_capacity("room:R2", 0).await.unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert_eq!(err.core_code(), Some(ErrorCode::InvalidRequest));
}

/// `busy` returns exactly the blocking bookings overlapping the window.
pub async fn suite_busy(store: &dyn AppointmentStore) {
    let p = "provider:P1";
    let now = at(0);
    let book = |b: Booking| async move { store.book(b, None, now).await.unwrap() };
    book(booked("before", -30, 0, &[p])).await; // touches the window: out
    book(booked("b1", 0, 30, &[p, "patient:X1"])).await;
    let c1 = book(booked("c1", 30, 60, &[p])).await;
    store
        .set_status(
            "c1",
            c1.version,
            &change(Status::Cancelled, Party::Staff, Some("sick"), now),
        )
        .await
        .unwrap();
    book(held("h-live", 60, 90, 120, &[p])).await;
    book(held("h-gone", 90, 120, 5, &[p])).await; // expires at +5 min
    book(booked("b2", 120, 200, &[p])).await; // starts inside, ends outside
    book(booked("after", 120, 150, &["provider:P2"])).await; // other resource
    book(booked("late", 200, 230, &[p])).await; // after the window
    let busy = store.busy(p, at(0), at(125), at(10)).await.unwrap();
    let expect: Vec<Interval> = [(0, 30), (60, 90), (120, 200)]
        .iter()
        .map(|&(s, e)| Interval::new(at(s), at(e)).unwrap())
        .collect();
    assert_eq!(busy, expect);
    // Before the hold lapsed, it was busy too.
    assert_eq!(store.busy(p, at(0), at(125), at(1)).await.unwrap().len(), 4);
}

/// `bookings_on` lists every booking of any status on one resource that
/// overlaps the window, by start then id, with its version, up to the limit;
/// a long booking that started far before the window is found too.
pub async fn suite_bookings_on(store: &dyn AppointmentStore) {
    let (p, x) = ("provider:P1", "patient:X1");
    let now = at(-2000);
    let book = |b: Booking| async move { store.book(b, None, now).await.unwrap() };
    // "long" overlaps "b" on P1, "a" overlaps "b" on X1.
    store.set_capacity(p, 2).await.unwrap();
    store.set_capacity(x, 2).await.unwrap();
    book(booked("long", -1440, 10, &["provider:P1"])).await; // a day long, ends inside
    book(booked("b", 0, 30, &[p, x])).await;
    book(booked("a", 0, 30, &["provider:P2", x])).await; // same start, other provider
    let c = book(booked("c", 30, 60, &[p, x])).await;
    let c = store
        .set_status(
            "c",
            c.version,
            &change(Status::Cancelled, Party::Staff, Some("sick"), now),
        )
        .await
        .unwrap();
    book(held("h", 60, 90, 30, &[p])).await;
    book(booked("edge", 120, 150, &[p, x])).await; // starts at the window's end: out
    book(booked("before", -60, 0, &[x])).await; // ends at the window's start: out
    let w = Interval::new(at(0), at(120)).unwrap();
    let ids = |v: Vec<Stored<Booking>>| v.into_iter().map(|s| s.value.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.bookings_on(p, w, 10).await.unwrap()),
        ["long", "b", "c", "h"]
    );
    assert_eq!(
        ids(store.bookings_on(x, w, 10).await.unwrap()),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(store.bookings_on(p, w, 2).await.unwrap()),
        ["long", "b"]
    );
    let on_x = store.bookings_on(x, w, 10).await.unwrap();
    let cancelled = on_x.iter().find(|s| s.value.id == "c").unwrap();
    assert_eq!(cancelled.value.status, Status::Cancelled);
    assert_eq!(cancelled.version, c.booking.version);
    assert!(
        store
            .bookings_on("patient:nobody", w, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Overlap queries are bounded below by each resource's longest booking:
/// a 30-day block is still found by every query that reaches into it from
/// far after its start, also after shorter bookings were written, and a
/// longer one written later widens the bound.
pub async fn suite_long_bookings_are_found(store: &dyn AppointmentStore) {
    let now = at(-60);
    let day = 24 * 60;
    store
        .book(booked("short", -120, -90, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(booked("block", 0, 30 * day, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(
            booked("after", 31 * day, 31 * day + 30, &["room:R1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let taken = conflicts_of(
        store
            .book(
                booked("x", 20 * day, 20 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["block"])]);
    let busy = store
        .busy("room:R1", at(25 * day), at(25 * day + 60), now)
        .await
        .unwrap();
    assert_eq!(busy, vec![Interval::new(at(0), at(30 * day)).unwrap()]);
    store
        .book(
            booked("p", 29 * day, 29 * day + 30, &["patient:X1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let moved = conflicts_of(
        store
            .reschedule(
                "p",
                1,
                booked("p2", 29 * day, 29 * day + 30, &["patient:X1", "room:R1"]),
                &crate::RescheduleRequest::new(Party::Staff, "x", now),
            )
            .await,
    );
    assert_eq!(moved, vec![c("room:R1", &["block"])]);
    // A longer booking on another resource does not loosen this one's
    // answers; a longer one here is found from even further away.
    store
        .book(booked("long", 40 * day, 100 * day, &["room:R1"]), None, now)
        .await
        .unwrap();
    let taken = conflicts_of(
        store
            .book(
                booked("y", 99 * day, 99 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["long"])]);
    let taken = conflicts_of(
        store
            .book(
                booked("z", 29 * day, 29 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["block"])]);
}

/// The overlap bound follows the bookings that still occupy a resource: a
/// year-long block cancelled (by a reschedule) no longer widens it, while a
/// 60-day block that still blocks is found from deep inside it, as are the
/// short bookings; the moved block is found at its new time.
pub async fn suite_extent_shrinks_but_finds_blocking(store: &dyn AppointmentStore) {
    let now = at(-60);
    let day = 24 * 60;
    for i in 0..4 {
        store
            .book(
                booked(&format!("s{i}"), i * 60, i * 60 + 30, &["room:R1"]),
                None,
                now,
            )
            .await
            .unwrap();
    }
    store
        .book(booked("year", day, 366 * day, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(
            booked("leave", 400 * day, 460 * day, &["room:R1"]),
            None,
            now,
        )
        .await
        .unwrap();
    // Cancel the year by moving it to one short slot.
    store
        .reschedule(
            "year",
            1,
            booked("year-moved", 500 * day, 500 * day + 30, &["room:R1"]),
            &crate::RescheduleRequest::new(Party::Staff, "shorter", now),
        )
        .await
        .unwrap();
    // The year no longer blocks: day 200 is free.
    store
        .book(
            booked("d200", 200 * day, 200 * day + 30, &["room:R1"]),
            None,
            now,
        )
        .await
        .unwrap();
    // The 60-day block still blocks, 55 days in.
    let taken = conflicts_of(
        store
            .book(
                booked("d455", 455 * day, 455 * day + 30, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["leave"])]);
    let busy = store
        .busy("room:R1", at(455 * day), at(455 * day + 60), now)
        .await
        .unwrap();
    assert_eq!(
        busy,
        vec![Interval::new(at(400 * day), at(460 * day)).unwrap()]
    );
    let taken = conflicts_of(
        store
            .book(booked("s", 70, 100, &["room:R1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["s1"])]);
    let taken = conflicts_of(
        store
            .book(
                booked("m", 500 * day + 10, 500 * day + 20, &["room:R1"]),
                None,
                now,
            )
            .await,
    );
    assert_eq!(taken, vec![c("room:R1", &["year-moved"])]);
}
