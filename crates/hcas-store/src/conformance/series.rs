//! [`SeriesStore`](crate::SeriesStore): booking a recurring series, shifting and
//! cancelling it (this, this and following, all).

use super::*;

pub(super) fn weekly_series(id: &str, count: u32) -> hcas_core::series::SeriesSpec {
    // Mondays 10:00 London (09:00 UTC in May), from 2026-05-04.
    let rule: hcas_core::RRule = format!("FREQ=WEEKLY;COUNT={count}").parse().unwrap();
    let zone = hcas_core::Zone::parse("Europe/London").unwrap();
    let dtstart = chrono::NaiveDate::from_ymd_opt(2026, 5, 4)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    hcas_core::series::SeriesSpec::new(
        id,
        hcas_core::Recurrence::new(rule, dtstart, zone),
        Minutes::new(30),
        vec!["provider:P1".into(), "patient:X1".into()],
    )
}

/// Series: all-or-nothing books nothing when one occurrence conflicts;
/// book-free books the rest with one event each; ids cannot be reused.
pub async fn suite_series(store: &dyn Store) {
    use hcas_core::series::SeriesPolicy;
    let now = at(-24 * 60);
    // The third Monday (2026-05-18 09:00 UTC) is taken.
    let third = 14 * 24 * 60;
    store
        .book(booked("x", third, third + 60, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let spec = weekly_series("S1", 4);
    let r = store
        .book_series(&spec, SeriesPolicy::AllOrNothing, now)
        .await
        .unwrap();
    assert!(!r.booked);
    let ok: Vec<bool> = r.occurrences.iter().map(|o| o.ok).collect();
    assert_eq!(ok, [true, true, false, true]);
    assert_eq!(r.occurrences[2].conflicts, vec![c("provider:P1", &["x"])]);
    assert!(r.occurrences.iter().all(|o| !o.booked));
    assert_eq!(store.counts().await.unwrap(), before);
    assert!(store.series_bookings("S1").await.unwrap().is_empty());

    let r = store
        .book_series(&spec, SeriesPolicy::BookFree, now)
        .await
        .unwrap();
    assert!(r.booked);
    let booked_ids: Vec<&str> = r
        .occurrences
        .iter()
        .filter(|o| o.booked)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        booked_ids,
        [
            "S1.20260504T100000",
            "S1.20260511T100000",
            "S1.20260525T100000"
        ]
    );
    let stored = store.series_bookings("S1").await.unwrap();
    let got: Vec<(String, String, i64)> = stored
        .iter()
        .map(|s| (s.value.id.clone(), s.value.start.to_string(), s.version))
        .collect();
    assert_eq!(
        got,
        [
            (
                "S1.20260504T100000".into(),
                "2026-05-04T09:00:00Z".into(),
                1
            ),
            (
                "S1.20260511T100000".into(),
                "2026-05-11T09:00:00Z".into(),
                1
            ),
            (
                "S1.20260525T100000".into(),
                "2026-05-25T09:00:00Z".into(),
                1
            ),
        ]
    );
    assert_eq!(
        stored[0].value.series.as_ref().unwrap().recurrence_id,
        "2026-05-04T10:00:00"
    );
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings + 3, before.outbox + 3)
    );
    // The series now blocks others.
    let taken = conflicts_of(
        store
            .book(booked("y", 0, 30, &["patient:X1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("patient:X1", &["S1.20260504T100000"])]);
    // Booking it again: every free occurrence now conflicts with itself.
    let again = store
        .book_series(&spec, SeriesPolicy::BookFree, now)
        .await
        .unwrap();
    assert!(!again.booked);
    // Another series must not reuse the ids.
    let mut other = weekly_series("S2", 2);
    other.resources = vec!["provider:P2".into()];
    other.id = "S1".into();
    assert_eq!(
        code_of(store.book_series(&other, SeriesPolicy::BookFree, now).await).0,
        "invalid"
    );
    assert_eq!(store.counts().await.unwrap(), after);
    // Bad specs are refused with the core's codes.
    let mut bad = weekly_series("S3", 2);
    bad.duration = Minutes::ZERO;
    assert_eq!(
        code_of(store.book_series(&bad, SeriesPolicy::BookFree, now).await).1,
        Some(ErrorCode::InvalidDuration)
    );
}

// ---------------------------------------------------------------------------
// Series edits (`SeriesStore::shift_series`, `SeriesStore::cancel_series`).

/// A weekly series (`COUNT=count`) from local `dtstart` (`YYYY-MM-DDTHH:MM`)
/// in `zone`, 30 minutes, on `resources`.
pub(super) fn series_at(
    id: &str,
    zone: &str,
    dtstart: &str,
    count: u32,
    resources: &[&str],
) -> hcas_core::series::SeriesSpec {
    let rule: hcas_core::RRule = format!("FREQ=WEEKLY;COUNT={count}").parse().unwrap();
    hcas_core::series::SeriesSpec::new(
        id,
        hcas_core::Recurrence::new(
            rule,
            hcas_core::time::parse_local_datetime(dtstart).unwrap(),
            hcas_core::Zone::parse(zone).unwrap(),
        ),
        Minutes::new(30),
        resources.iter().map(|r| (*r).to_string()).collect(),
    )
}

/// A staff member's shift of `series_id` from occurrence `recurrence_id`, in `zone`.
pub(super) fn shift_edit(
    series_id: &str,
    zone: &str,
    recurrence_id: &str,
    scope: hcas_core::series::EditScope,
    shift: hcas_core::series::WallShift,
) -> hcas_core::series::SeriesEdit {
    hcas_core::series::SeriesEdit::new(
        hcas_core::booking::SeriesRef::new(series_id, recurrence_id),
        scope,
        hcas_core::Zone::parse(zone).unwrap(),
        hcas_core::lifecycle::Party::Staff,
    )
    .shift(shift)
}

/// A staff member's cancellation of `series_id` from occurrence `recurrence_id`.
fn series_cancel(
    series_id: &str,
    recurrence_id: &str,
    scope: hcas_core::series::EditScope,
) -> hcas_core::series::SeriesCancel {
    hcas_core::series::SeriesCancel::new(
        hcas_core::booking::SeriesRef::new(series_id, recurrence_id),
        scope,
        hcas_core::lifecycle::Party::Staff,
        "course ended",
    )
}

/// Everything a series edit could touch, as the ports show it: counts,
/// every outbox event, the series' bookings and `others` with versions, and
/// the busy time of `resources` over a wide window.
async fn edit_snapshot(
    store: &dyn Store,
    series: &[&str],
    others: &[&str],
    resources: &[&str],
    now: Timestamp,
) -> (
    Counts,
    Vec<crate::OutboxEvent>,
    Vec<Stored<Booking>>,
    Vec<Vec<Interval>>,
) {
    let mut bookings = Vec::new();
    for s in series {
        bookings.extend(store.series_bookings(s).await.unwrap());
    }
    for id in others {
        bookings.push(store.get(id).await.unwrap());
    }
    let mut busy = Vec::new();
    for r in resources {
        busy.push(
            store
                .busy(r, at(-60 * 24 * 7), at(60 * 24 * 7 * 12), now)
                .await
                .unwrap(),
        );
    }
    (
        store.counts().await.unwrap(),
        store.outbox_pending(100_000).await.unwrap(),
        bookings,
        busy,
    )
}

pub(super) const WEEK: i64 = 7 * 24 * 60;

/// Pushing a weekly course back one week (every occurrence lands on its
/// sibling's old slot, the case that lost data) moves all of them, keeps
/// their ids and recurrence ids, and writes one `appointment.updated` event
/// and one version per moved occurrence; the first slot is free again. A
/// longer occurrence is found by every later query (the overlap bound follows it).
pub async fn suite_series_shift_push_back_one_week(store: &dyn Store) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    let now = at(-24 * 60);
    let spec = weekly_series("S1", 4);
    assert!(
        store
            .book_series(&spec, SeriesPolicy::AllOrNothing, now)
            .await
            .unwrap()
            .booked
    );
    let before = store.counts().await.unwrap();
    let edit = shift_edit(
        "S1",
        "Europe/London",
        "2026-05-04T10:00:00",
        EditScope::All,
        WallShift::days(7),
    );
    let r = store.shift_series(&edit, now).await.unwrap();
    assert!(r.applied, "{r:?}");
    assert!(r.skipped.is_empty());
    let ids = [
        "S1.20260504T100000",
        "S1.20260511T100000",
        "S1.20260518T100000",
        "S1.20260525T100000",
    ];
    let answered: Vec<(&str, Timestamp, bool, bool)> = r
        .occurrences
        .iter()
        .map(|o| (o.id.as_str(), o.start, o.ok, o.booked))
        .collect();
    let want: Vec<(&str, Timestamp, bool, bool)> = (1..=4)
        .map(|k| (ids[k - 1], at(i64::try_from(k).unwrap() * WEEK), true, true))
        .collect();
    assert_eq!(answered, want);
    // Stored: same ids and recurrence ids, one week later, version 2.
    let stored = store.series_bookings("S1").await.unwrap();
    let got: Vec<(String, String, Timestamp, Timestamp, i64)> = stored
        .iter()
        .map(|s| {
            (
                s.value.id.clone(),
                s.value.series.as_ref().unwrap().recurrence_id.clone(),
                s.value.start,
                s.value.end,
                s.version,
            )
        })
        .collect();
    let want: Vec<(String, String, Timestamp, Timestamp, i64)> = (0..4)
        .map(|k: i64| {
            (
                ids[usize::try_from(k).unwrap()].to_string(),
                format!("2026-05-{:02}T10:00:00", 4 + 7 * k),
                at((k + 1) * WEEK),
                at((k + 1) * WEEK + 30),
                2,
            )
        })
        .collect();
    assert_eq!(got, want);
    // One `appointment.updated` event per occurrence, with its new time.
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings, before.outbox + 4)
    );
    let events = store.outbox_pending(100).await.unwrap();
    let last: Vec<(&str, &str, String)> = events[events.len() - 4..]
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.aggregate_id.as_str(),
                e.payload["start"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(&str, &str, String)> = (1..=4)
        .map(|k| {
            (
                kind::APPOINTMENT_UPDATED,
                ids[k - 1],
                at(i64::try_from(k).unwrap() * WEEK).to_string(),
            )
        })
        .collect();
    assert_eq!(last, want);
    let h: Vec<(i64, String)> = store
        .history(ids[0])
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.version, c.kind))
        .collect();
    assert_eq!(
        h,
        [
            (1, kind::APPOINTMENT_CREATED.to_string()),
            (2, kind::APPOINTMENT_UPDATED.to_string())
        ]
    );
    // The provider is busy exactly at the new times; the first Monday is free.
    let busy = store
        .busy("provider:P1", at(-60), at(6 * WEEK), now)
        .await
        .unwrap();
    let starts: Vec<Timestamp> = busy.iter().map(Interval::start).collect();
    assert_eq!(starts, [at(WEEK), at(2 * WEEK), at(3 * WEEK), at(4 * WEEK)]);
    store
        .book(booked("y", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    // The last occurrence made three days long: a query far after its start
    // still finds it (the stores' overlap bound grows with it).
    let mut longer = shift_edit(
        "S1",
        "Europe/London",
        "2026-05-25T10:00:00",
        EditScope::This,
        WallShift::default(),
    );
    longer.duration = Some(Minutes::days(3));
    assert!(store.shift_series(&longer, now).await.unwrap().applied);
    let late = 4 * WEEK + 2 * 24 * 60;
    let taken = conflicts_of(
        store
            .book(booked("z", late, late + 30, &["provider:P1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &[ids[3]])]);
}

/// "One week later" across the start of summer time keeps 10:00 on the
/// wall clock (09:00Z instead of 10:00Z); this-and-following leaves the
/// earlier occurrence (and its version) alone.
pub async fn suite_series_shift_keeps_wall_time_across_dst(store: &dyn Store) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    // Mondays 16, 23 and 30 March 10:00 London; summer time starts 29 March.
    let spec = series_at(
        "D1",
        "Europe/London",
        "2026-03-16T10:00",
        3,
        &["provider:P1", "patient:X1"],
    );
    assert!(
        store
            .book_series(&spec, SeriesPolicy::AllOrNothing, now)
            .await
            .unwrap()
            .booked
    );
    let edit = shift_edit(
        "D1",
        "Europe/London",
        "2026-03-23T10:00:00",
        EditScope::ThisAndFollowing,
        WallShift::days(7),
    );
    let r = store.shift_series(&edit, now).await.unwrap();
    assert!(r.applied, "{r:?}");
    let got: Vec<(String, String, i64)> = store
        .series_bookings("D1")
        .await
        .unwrap()
        .iter()
        .map(|s| (s.value.id.clone(), s.value.start.to_string(), s.version))
        .collect();
    assert_eq!(
        got,
        [
            (
                "D1.20260316T100000".to_string(),
                "2026-03-16T10:00:00Z".to_string(),
                1
            ),
            (
                "D1.20260323T100000".to_string(),
                "2026-03-30T09:00:00Z".to_string(),
                2
            ),
            (
                "D1.20260330T100000".to_string(),
                "2026-04-06T09:00:00Z".to_string(),
                2
            ),
        ]
    );
}

/// A shift that conflicts for one occurrence moves none: every booking,
/// version, busy interval and outbox event is as before, and the answer
/// names what stands in the way. Unknown occurrences and shifts out of range
/// are refused with the core's codes, changing nothing.
pub async fn suite_series_shift_conflict_changes_nothing(store: &dyn Store) {
    use hcas_core::series::{EditScope, SeriesPolicy, WallShift};
    let now = at(-24 * 60);
    assert!(
        store
            .book_series(&weekly_series("S1", 4), SeriesPolicy::AllOrNothing, now)
            .await
            .unwrap()
            .booked
    );
    // The Monday after the course is taken.
    store
        .book(
            booked("x", 4 * WEEK, 4 * WEEK + 60, &["provider:P1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let resources = ["provider:P1", "patient:X1"];
    let before = edit_snapshot(store, &["S1"], &["x"], &resources, now).await;
    let edit = shift_edit(
        "S1",
        "Europe/London",
        "2026-05-04T10:00:00",
        EditScope::All,
        WallShift::days(7),
    );
    let r = store.shift_series(&edit, now).await.unwrap();
    assert!(!r.applied);
    let ok: Vec<bool> = r.occurrences.iter().map(|o| o.ok).collect();
    assert_eq!(ok, [true, true, true, false]);
    assert!(r.occurrences.iter().all(|o| !o.booked));
    assert_eq!(r.occurrences[3].conflicts, vec![c("provider:P1", &["x"])]);
    assert_eq!(
        edit_snapshot(store, &["S1"], &["x"], &resources, now).await,
        before
    );
    // Refused before anything is written.
    let mut unknown = edit.clone();
    unknown.recurrence_id = "2026-05-05T10:00:00".into();
    assert_eq!(
        code_of(store.shift_series(&unknown, now).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut too_far = edit.clone();
    too_far.shift = WallShift::days(hcas_core::series::MAX_SHIFT_DAYS + 1);
    assert_eq!(
        code_of(store.shift_series(&too_far, now).await),
        ("invalid", Some(ErrorCode::InvalidDuration))
    );
    let mut none = series_cancel("S9", "2026-05-04T10:00:00", EditScope::All);
    assert_eq!(
        code_of(store.cancel_series(&none, None, now).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    none.series_id = "S1".into();
    none.reason = " ".into();
    assert_eq!(
        code_of(store.cancel_series(&none, None, now).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    assert_eq!(
        edit_snapshot(store, &["S1"], &["x"], &resources, now).await,
        before
    );
}

/// Cancel all: a fulfilled and an arrived occurrence are skipped with
/// `invalid_transition` and left as they are; the others become cancelled
/// with the reason, one version and one `appointment.cancelled` event each,
/// and stop blocking. Cancelling again changes nothing.
pub async fn suite_series_cancel_all_skips_final(store: &dyn Store) {
    use hcas_core::booking::SeriesRef;
    use hcas_core::series::{EditScope, SeriesPolicy};
    let now = at(-24 * 60);
    // Two occurrences already stored as fulfilled and arrived (through
    // `book`, which keeps the status given; no status change is involved).
    for (k, day, status) in [(1, 11, Status::Fulfilled), (2, 18, Status::Arrived)] {
        let mut b = booked(
            &format!("S1.202605{day}T100000"),
            k * WEEK,
            k * WEEK + 30,
            &["provider:P1", "patient:X1"],
        );
        b.status = status;
        b.series = Some(SeriesRef::new("S1", format!("2026-05-{day}T10:00:00")));
        store.book(b, None, now).await.unwrap();
    }
    let r = store
        .book_series(&weekly_series("S1", 4), SeriesPolicy::BookFree, now)
        .await
        .unwrap();
    let booked_ids: Vec<&str> = r
        .occurrences
        .iter()
        .filter(|o| o.booked)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(booked_ids, ["S1.20260504T100000", "S1.20260525T100000"]);
    let before = store.counts().await.unwrap();
    let cancel = series_cancel("S1", "2026-05-04T10:00:00", EditScope::All);
    // Four occurrences, each at version 1 as created: series version 4. A
    // stale expected version cancels nothing.
    let stale = store.cancel_series(&cancel, Some(3), now).await;
    match stale {
        Err(StoreError::VersionMismatch {
            id,
            expected: 3,
            found: 4,
        }) => assert_eq!(id, "S1"),
        other => panic!("expected version_mismatch 3/4, got {other:?}"),
    }
    assert_eq!(store.counts().await.unwrap(), before);
    assert!(
        store
            .series_bookings("S1")
            .await
            .unwrap()
            .iter()
            .all(|s| s.value.status != Status::Cancelled)
    );
    let done = store.cancel_series(&cancel, Some(4), now).await.unwrap();
    let cancelled: Vec<(&str, Status)> = done
        .cancelled
        .iter()
        .map(|c| (c.id.as_str(), c.from))
        .collect();
    assert_eq!(
        cancelled,
        [
            ("S1.20260504T100000", Status::Booked),
            ("S1.20260525T100000", Status::Booked)
        ]
    );
    let skipped: Vec<(&str, Status, ErrorCode)> = done
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.status, s.error.code()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "S1.20260511T100000",
                Status::Fulfilled,
                ErrorCode::InvalidTransition
            ),
            (
                "S1.20260518T100000",
                Status::Arrived,
                ErrorCode::InvalidTransition
            ),
        ]
    );
    assert!(done.skipped[0].error.message().contains("fulfilled"));
    let got: Vec<(String, Status, Option<String>, i64)> = store
        .series_bookings("S1")
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.value.id, s.value.status, s.value.cancel_reason, s.version))
        .collect();
    let reason = Some("course ended".to_string());
    assert_eq!(
        got,
        [
            (
                "S1.20260504T100000".into(),
                Status::Cancelled,
                reason.clone(),
                2
            ),
            ("S1.20260511T100000".into(), Status::Fulfilled, None, 1),
            ("S1.20260518T100000".into(), Status::Arrived, None, 1),
            ("S1.20260525T100000".into(), Status::Cancelled, reason, 2),
        ]
    );
    let after = store.counts().await.unwrap();
    assert_eq!(
        (after.bookings, after.outbox),
        (before.bookings, before.outbox + 2)
    );
    let events = store.outbox_pending(100).await.unwrap();
    let last: Vec<(&str, &str)> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.kind.as_str(), e.aggregate_id.as_str()))
        .collect();
    assert_eq!(
        last,
        [
            (kind::APPOINTMENT_CANCELLED, "S1.20260504T100000"),
            (kind::APPOINTMENT_CANCELLED, "S1.20260525T100000")
        ]
    );
    let h: Vec<(i64, Status)> = store
        .history("S1.20260525T100000")
        .await
        .unwrap()
        .iter()
        .map(|c| (c.version, c.status))
        .collect();
    assert_eq!(h, [(1, Status::Booked), (2, Status::Cancelled)]);
    // History says who cancelled it, from what, and why, as for a single change.
    let change = store
        .history("S1.20260525T100000")
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (
            change.from,
            change.actor,
            change.reason.as_deref(),
            change
                .outcomes
                .contains(&hcas_core::lifecycle::Outcome::SlotFreed)
        ),
        (
            Some(Status::Booked),
            Some(hcas_core::lifecycle::Party::Staff),
            Some("course ended"),
            true
        )
    );
    // The cancelled times are free again; the skipped ones still block.
    store
        .book(booked("y", 0, 30, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let taken = conflicts_of(
        store
            .book(booked("z", WEEK, WEEK + 30, &["provider:P1"]), None, now)
            .await,
    );
    assert_eq!(taken, vec![c("provider:P1", &["S1.20260511T100000"])]);
    // Again: nothing left to cancel, nothing written.
    let before = store.counts().await.unwrap();
    let again = store.cancel_series(&cancel, None, now).await.unwrap();
    assert!(again.cancelled.is_empty());
    assert_eq!(again.skipped.len(), 4);
    assert_eq!(store.counts().await.unwrap(), before);
}
