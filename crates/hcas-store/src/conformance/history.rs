//! [`HistoryStore`](crate::HistoryStore): who changed a booking, when, from what and why.

use super::*;

/// A booking's history: one entry per change, from its events, with who
/// made it, when, from and to which status, why, and what followed; a
/// refused change adds nothing.
pub async fn suite_history(store: &dyn Store) {
    let b = store
        .book(booked("a1", 0, 30, &["provider:P1"]), None, at(-100))
        .await
        .unwrap();
    let b = store
        .set_status(
            "a1",
            b.version,
            &change(Status::Arrived, Party::Staff, None, at(-5)),
        )
        .await
        .unwrap();
    let refused = store
        .set_status(
            "a1",
            b.booking.version,
            &change(Status::Cancelled, Party::Patient, Some("left"), at(1)),
        )
        .await;
    assert_eq!(code_of(refused).1, Some(ErrorCode::NotPermitted));
    store
        .set_status(
            "a1",
            b.booking.version,
            &change(Status::Cancelled, Party::Staff, Some("left"), at(1)),
        )
        .await
        .unwrap();
    store
        .book(booked("a2", 0, 30, &["provider:P2"]), None, at(-50))
        .await
        .unwrap();
    let h = store.history("a1").await.unwrap();
    type Row<'a> = (
        i64,
        Status,
        Timestamp,
        &'a str,
        Option<Status>,
        Option<Party>,
        Option<&'a str>,
        &'a [Outcome],
    );
    let got: Vec<Row> = h
        .iter()
        .map(|c| {
            (
                c.version,
                c.status,
                c.at,
                c.kind.as_str(),
                c.from,
                c.actor,
                c.reason.as_deref(),
                c.outcomes.as_slice(),
            )
        })
        .collect();
    let expect: Vec<Row> = vec![
        (
            1,
            Status::Booked,
            at(-100),
            kind::APPOINTMENT_CREATED,
            None,
            None,
            None,
            &[],
        ),
        (
            2,
            Status::Arrived,
            at(-5),
            kind::APPOINTMENT_UPDATED,
            Some(Status::Booked),
            Some(Party::Staff),
            None,
            &[],
        ),
        (
            3,
            Status::Cancelled,
            at(1),
            kind::APPOINTMENT_CANCELLED,
            Some(Status::Arrived),
            Some(Party::Staff),
            Some("left"),
            &[Outcome::Cancelled],
        ),
    ];
    assert_eq!(got, expect);
    // A reschedule records the cancellation of the old booking the same way.
    store
        .reschedule(
            "a2",
            1,
            booked("a3", 60, 90, &["provider:P2"]),
            &crate::RescheduleRequest::new(Party::Patient, "moved", at(-40)),
        )
        .await
        .unwrap();
    let h = store.history("a2").await.unwrap();
    assert_eq!(h.len(), 2);
    let last = &h[1];
    assert_eq!(
        (
            last.version,
            last.status,
            last.at,
            last.from,
            last.actor,
            last.reason.as_deref()
        ),
        (
            2,
            Status::Cancelled,
            at(-40),
            Some(Status::Booked),
            Some(Party::Patient),
            Some("moved")
        )
    );
    assert_eq!(
        last.outcomes,
        [
            Outcome::Cancelled,
            Outcome::LateCancellation {
                minutes_before_start: Minutes::new(40)
            },
            Outcome::SlotFreed
        ]
    );
    assert_eq!(store.history("a3").await.unwrap().len(), 1);
    assert_eq!(code_of(store.history("zz").await).0, "not_found");
}
