//! [`PatientStore`](crate::PatientStore) and [`ProviderStore`](crate::ProviderStore):
//! profiles, schedules and availability.

use super::*;

/// Create, read, update with the right and a stale version, refuse bad input
/// and a second create; a refused write changes nothing.
pub async fn suite_patients(store: &dyn Store) {
    let mut p = Patient::new("X1", "Ada Lovelace");
    p.birth_date = chrono::NaiveDate::from_ymd_opt(2015, 12, 10);
    p.guardians = vec!["G1".into()];
    let v1 = store.put_patient(p.clone(), None).await.unwrap();
    assert_eq!((v1.version, &v1.value), (1, &p));
    assert_eq!(store.get_patient("X1").await.unwrap(), v1);
    assert_eq!(
        code_of(store.put_patient(p.clone(), None).await).0,
        "already_exists"
    );
    let mut p2 = p.clone();
    p2.email = Some("ada@example.org".into());
    let v2 = store.put_patient(p2.clone(), Some(1)).await.unwrap();
    assert_eq!(v2.version, 2);
    match store.put_patient(p.clone(), Some(1)).await {
        Err(StoreError::VersionMismatch {
            expected, found, ..
        }) => assert_eq!((expected, found), (1, 2)),
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    let mut bad = p2.clone();
    bad.name = " ".into();
    assert_eq!(
        code_of(store.put_patient(bad, Some(2)).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut bad = p2.clone();
    bad.email = Some("not-an-address".into());
    assert_eq!(code_of(store.put_patient(bad, Some(2)).await).0, "invalid");
    let mut bad = Patient::new("has space", "B");
    assert_eq!(
        code_of(store.put_patient(bad.clone(), None).await).0,
        "invalid"
    );
    bad.id = "Y1".into();
    assert_eq!(
        code_of(store.put_patient(bad, Some(1)).await).0,
        "not_found"
    );
    assert_eq!(store.get_patient("X1").await.unwrap(), v2);
    assert_eq!(code_of(store.get_patient("Y1").await).0, "not_found");
}

/// Preferred channels, language and time zone are stored and read back
/// as written; a bad tag, an unknown zone or a repeated channel is refused
/// and changes nothing.
pub async fn suite_patient_preferences(store: &dyn Store) {
    use crate::records::Channel;
    let mut p = Patient::new("Z1", "Grace Hopper");
    p.channels = vec![Channel::Sms, Channel::Email];
    p.language = Some("pt-BR".into());
    p.timezone = Some("America/Sao_Paulo".into());
    let v1 = store.put_patient(p.clone(), None).await.unwrap();
    assert_eq!(store.get_patient("Z1").await.unwrap().value, p);
    assert_eq!(v1.value.channels, vec![Channel::Sms, Channel::Email]);
    let mut bad = p.clone();
    bad.timezone = Some("Mars/Olympus".into());
    assert_eq!(
        code_of(store.put_patient(bad, Some(1)).await),
        ("invalid", Some(ErrorCode::InvalidTimezone))
    );
    let mut bad = p.clone();
    bad.language = Some("not a tag".into());
    assert_eq!(
        code_of(store.put_patient(bad, Some(1)).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut bad = p.clone();
    bad.channels = vec![Channel::Push, Channel::Push];
    assert_eq!(
        code_of(store.put_patient(bad, Some(1)).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut q = p.clone();
    q.channels.clear();
    q.language = None;
    q.timezone = None;
    let v2 = store.put_patient(q.clone(), Some(1)).await.unwrap();
    assert_eq!((v2.version, &v2.value), (2, &q));
    assert_eq!(store.get_patient("Z1").await.unwrap(), v2);
    assert_eq!(code_of(store.get_patient("has space").await).0, "not_found");
}

/// The profile's optional fields (location, languages, time zone) round-trip
/// and are validated; `providers` lists every provider by id with its version.
pub async fn suite_provider_profiles(store: &dyn Store) {
    assert!(store.providers().await.unwrap().is_empty());
    let mut p = Provider::new("Q2", "Dr Two");
    p.specialties = vec!["cardiology".into()];
    p.location = Some("Clinic A, room 3".into());
    p.languages = vec!["en".into(), "pt-BR".into()];
    p.timezone = Some("Europe/Lisbon".into());
    store.put_provider(p.clone(), None).await.unwrap();
    let mut q = Provider::new("Q1", "Dr One");
    q.active = false;
    store.put_provider(q.clone(), None).await.unwrap();
    let mut p2 = p.clone();
    p2.location = None;
    store.put_provider(p2.clone(), Some(1)).await.unwrap();
    assert_eq!(store.get_provider("Q2").await.unwrap().value, p2);
    let all = store.providers().await.unwrap();
    let got: Vec<(&str, i64, &Provider)> = all
        .iter()
        .map(|s| (s.value.id.as_str(), s.version, &s.value))
        .collect();
    assert_eq!(got, [("Q1", 1, &q), ("Q2", 2, &p2)]);

    let mut bad = p2.clone();
    bad.timezone = Some("Mars/Olympus".into());
    assert_eq!(
        code_of(store.put_provider(bad, Some(2)).await).1,
        Some(ErrorCode::InvalidTimezone)
    );
    let mut bad = p2.clone();
    bad.languages = vec!["en gb".into()];
    assert_eq!(
        code_of(store.put_provider(bad, Some(2)).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    let mut bad = p2.clone();
    bad.location = Some("  ".into());
    assert_eq!(code_of(store.put_provider(bad, Some(2)).await).0, "invalid");
    assert_eq!(store.get_provider("Q2").await.unwrap().version, 2);
}

fn weekday_mornings(provider: &str) -> Schedule {
    let mut s = Schedule::new(provider, "Europe/London");
    s.rules.push(RuleSpec::new(
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "2026-01-05",
        "09:00",
        "12:00",
    ));
    s
}

fn starts(a: &crate::ProviderAvailability, duration: i64) -> Vec<String> {
    // The day of `at(0)`: Monday 2026-05-04, London on BST (UTC+1).
    let q = hcas_core::SlotQuery::new(at(-9 * 60), at(15 * 60), Minutes::new(duration));
    a.availability
        .slots(&q)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Providers and schedules; availability from the store equals what the
/// schedule and the blocking bookings give, worked out by hand.
pub async fn suite_providers_and_availability(store: &dyn Store) {
    let now = at(-24 * 60);
    let p = Provider::new("P1", "Dr One");
    assert_eq!(
        store.put_provider(p.clone(), None).await.unwrap().version,
        1
    );
    store
        .put_provider(Provider::new("P2", "Dr Two"), None)
        .await
        .unwrap();
    assert_eq!(store.get_provider("P1").await.unwrap().value, p);
    let mut inactive = p.clone();
    inactive.active = false;
    assert_eq!(
        store.put_provider(inactive, Some(1)).await.unwrap().version,
        2
    );
    assert_eq!(
        code_of(store.put_provider(Provider::new("P1", ""), Some(2)).await).0,
        "invalid"
    );

    // Schedules: the provider must exist; bad rules and zones are refused
    // with the core's codes and leave no event behind.
    let before = store.counts().await.unwrap();
    assert_eq!(
        code_of(store.put_schedule(weekday_mornings("P9"), None, now).await).0,
        "not_found"
    );
    let mut bad = weekday_mornings("P1");
    bad.timezone = "Mars/Olympus".into();
    assert_eq!(
        code_of(store.put_schedule(bad, None, now).await).1,
        Some(ErrorCode::InvalidTimezone)
    );
    let mut bad = weekday_mornings("P1");
    bad.rules[0].rrule = "FREQ=HOURLY".into();
    assert_eq!(
        code_of(store.put_schedule(bad, None, now).await).1,
        Some(ErrorCode::InvalidRrule)
    );
    let mut bad = weekday_mornings("P1");
    bad.time_off.push(TimeOff {
        start: at(60),
        end: at(60),
        reason: None,
    });
    assert_eq!(
        code_of(store.put_schedule(bad, None, now).await).1,
        Some(ErrorCode::InvalidInterval)
    );
    assert_eq!(store.counts().await.unwrap(), before);
    assert_eq!(code_of(store.get_schedule("P1").await).0, "not_found");

    let s1 = store
        .put_schedule(weekday_mornings("P1"), None, now)
        .await
        .unwrap();
    assert_eq!(s1.version, 1);
    assert_eq!(store.get_schedule("P1").await.unwrap(), s1);
    let events = store.outbox_pending(100).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.aggregate_id.as_str()),
        (kind::SCHEDULE_CHANGED, "P1")
    );

    // London 09:00-12:00 BST = 08:00-11:00 UTC: three hour slots.
    let window = Interval::new(at(-24 * 60), at(24 * 60)).unwrap();
    let ids = vec!["P1".to_string(), "P2".to_string()];
    let got = store.availability(&ids, window, now).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].provider_id.as_str(), got[0].schedule_version),
        ("P1", Some(1))
    );
    assert_eq!(
        starts(&got[0], 60),
        [
            "2026-05-04T08:00:00Z",
            "2026-05-04T09:00:00Z",
            "2026-05-04T10:00:00Z"
        ]
    );
    // P2 has no schedule: no working hours.
    assert_eq!(
        (got[1].provider_id.as_str(), got[1].schedule_version),
        ("P2", None)
    );
    assert!(starts(&got[1], 60).is_empty());

    // Bookings: a booked one blocks, a cancelled one and an expired hold do
    // not, a live hold does; other resources do not matter.
    store
        .book(
            booked("b1", 0, 60, &["provider:P1", "patient:X1"]),
            None,
            now,
        )
        .await
        .unwrap();
    let c = store
        .book(booked("b2", 60, 120, &["provider:P1"]), None, now)
        .await
        .unwrap();
    store
        .set_status(
            "b2",
            c.version,
            &change(Status::Cancelled, Party::Staff, Some("sick"), now),
        )
        .await
        .unwrap();
    store
        .book(
            held("h1", -60, 0, -24 * 60 - 30, &["provider:P1"]),
            None,
            at(-25 * 60),
        )
        .await
        .unwrap();
    store
        .book(booked("b3", -60, 0, &["provider:P2"]), None, now)
        .await
        .unwrap();
    let got = store.availability(&ids[..1], window, now).await.unwrap();
    assert_eq!(
        starts(&got[0], 60),
        ["2026-05-04T08:00:00Z", "2026-05-04T10:00:00Z"]
    );
    store
        .book(held("h2", 60, 90, 60 * 24, &["provider:P1"]), None, now)
        .await
        .unwrap();
    let got = store.availability(&ids[..1], window, now).await.unwrap();
    assert_eq!(starts(&got[0], 60), ["2026-05-04T08:00:00Z"]);
    assert_eq!(
        starts(&got[0], 30),
        [
            "2026-05-04T08:00:00Z",
            "2026-05-04T08:30:00Z",
            "2026-05-04T10:30:00Z"
        ]
    );
    // A window that ends before the bookings does not load them.
    let early = Interval::new(at(-24 * 60), at(-60)).unwrap();
    let got = store.availability(&ids[..1], early, now).await.unwrap();
    assert_eq!(starts(&got[0], 60).len(), 3);

    // Time off replaces the schedule at version 2.
    let mut s2 = weekday_mornings("P1");
    s2.time_off.push(TimeOff {
        start: at(-60),
        end: at(0),
        reason: Some("training".into()),
    });
    assert_eq!(
        code_of(store.put_schedule(s2.clone(), None, now).await).0,
        "already_exists"
    );
    assert_eq!(
        store
            .put_schedule(s2.clone(), Some(1), now)
            .await
            .unwrap()
            .version,
        2
    );
    assert_eq!(
        code_of(store.put_schedule(s2, Some(1), now).await).0,
        "version_mismatch"
    );
    let got = store.availability(&ids[..1], window, now).await.unwrap();
    assert_eq!(got[0].schedule_version, Some(2));
    assert!(starts(&got[0], 60).is_empty());
    assert_eq!(starts(&got[0], 30), ["2026-05-04T10:30:00Z"]);

    assert_eq!(
        code_of(store.availability(&["P7".to_string()], window, now).await).0,
        "not_found"
    );
    assert_eq!(
        code_of(store.availability(&[], window, now).await).0,
        "invalid"
    );
}
