//! Tests of the lifecycle: the table, the clock rules, `apply`, and random walks.

use super::*;
use proptest::prelude::*;

/// Start of the test appointment: 2026-05-04T09:00:00Z; it lasts 30 minutes.
const START: i64 = 1_777_885_200;

fn at(minutes_from_start: i64) -> Timestamp {
    Timestamp::from_unix(START + minutes_from_start * MINUTE).unwrap()
}

fn booking(status: Status) -> Booking {
    let mut b = Booking::from_parts(
        "a1",
        at(0),
        at(30),
        status,
        vec!["provider:P1".into(), "patient:X1".into()],
    );
    if status == Status::Held {
        b.hold_expires = Some(at(-2 * 24 * 60 + 10));
    }
    b
}

fn req(to: Status, actor: Party, reason: Option<&str>, now: Timestamp) -> TransitionRequest {
    TransitionRequest {
        to,
        actor,
        reason: reason.map(str::to_string),
        now,
    }
}

fn go(
    from: Status,
    to: Status,
    actor: Party,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Transitioned> {
    transition(
        &booking(from),
        &req(to, actor, reason, now),
        &LifecyclePolicy::default(),
    )
}

fn code(r: Result<Transitioned>) -> ErrorCode {
    r.unwrap_err().code()
}

/// A time at which the (legal) change from → to is allowed by the clock.
fn good_now(from: Status, to: Status) -> Timestamp {
    match (from, to) {
        (Status::Booked, Status::Arrived | Status::CheckedIn) => at(-30),
        (Status::Booked, Status::Noshow) => at(20),
        (Status::Arrived | Status::CheckedIn, _) => at(5),
        _ => at(-2 * 24 * 60),
    }
}

#[test]
fn every_row_is_allowed_for_its_actors_and_refused_for_the_others() {
    for &(from, to, actors) in TRANSITIONS {
        for actor in Party::ALL {
            let r = go(from, to, actor, Some("a reason"), good_now(from, to));
            if actors.contains(&actor) {
                let done = r.unwrap_or_else(|e| panic!("{from} -> {to} by {actor}: {e}"));
                assert_eq!((done.from, done.to), (from, to));
            } else {
                let e = r.unwrap_err();
                assert_eq!(
                    e.code(),
                    ErrorCode::NotPermitted,
                    "{from} -> {to} by {actor}"
                );
                for a in actors {
                    assert!(e.message().contains(a.as_str()), "{e}");
                }
            }
        }
    }
}

#[test]
fn every_change_not_in_the_table_is_an_invalid_transition() {
    for from in Status::ALL {
        for to in Status::ALL {
            if allowed_actors(from, to).is_some() {
                continue;
            }
            for actor in Party::ALL {
                let e = go(from, to, actor, Some("r"), good_now(from, to)).unwrap_err();
                assert_eq!(e.code(), ErrorCode::InvalidTransition, "{from} -> {to}");
            }
        }
    }
}

#[test]
fn table_and_legal_targets_agree() {
    for from in Status::ALL {
        let listed: Vec<Status> = TRANSITIONS
            .iter()
            .filter(|r| r.0 == from)
            .map(|r| r.1)
            .collect();
        assert_eq!(listed, legal_targets(from), "{from}");
        assert!(!listed.contains(&from), "{from} -> itself");
        let eie = listed.contains(&Status::EnteredInError);
        assert_eq!(eie, from != Status::EnteredInError, "{from}");
        if is_terminal(from) {
            assert!(
                listed.iter().all(|&t| t == Status::EnteredInError),
                "{from}"
            );
        }
    }
    for &(f, t, actors) in TRANSITIONS {
        assert!(!actors.is_empty());
        assert_eq!(
            TRANSITIONS.iter().filter(|r| r.0 == f && r.1 == t).count(),
            1,
            "{f} -> {t} listed twice"
        );
    }
}

#[test]
fn messages_name_the_statuses_and_the_legal_targets() {
    let e = go(Status::Proposed, Status::Arrived, Party::Staff, None, at(0)).unwrap_err();
    for word in [
        "proposed",
        "arrived",
        "pending",
        "booked",
        "cancelled",
        "entered-in-error",
    ] {
        assert!(e.message().contains(word), "{word}: {e}");
    }
    let e = go(Status::Booked, Status::Booked, Party::Staff, None, at(0)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
    assert!(e.message().contains("already booked"), "{e}");
    let e = go(
        Status::EnteredInError,
        Status::Booked,
        Party::Staff,
        None,
        at(0),
    )
    .unwrap_err();
    assert!(e.message().contains("final"), "{e}");
    let e = go(Status::Booked, Status::Noshow, Party::Patient, None, at(20)).unwrap_err();
    assert_eq!(
        e.message(),
        "patient may not move booking a1 from booked to noshow; only practitioner, staff, system may"
    );
}

#[test]
fn terminal_statuses_only_become_entered_in_error() {
    for from in [Status::Fulfilled, Status::Cancelled, Status::Noshow] {
        assert!(is_terminal(from));
        for to in Status::ALL {
            let r = go(from, to, Party::Staff, Some("duplicate"), at(0));
            if to == Status::EnteredInError {
                assert_eq!(r.unwrap().to, to);
            } else {
                assert_eq!(code(r), ErrorCode::InvalidTransition, "{from} -> {to}");
            }
        }
    }
    for to in Status::ALL {
        let r = go(Status::EnteredInError, to, Party::Staff, Some("x"), at(0));
        assert_eq!(code(r), ErrorCode::InvalidTransition);
    }
}

#[test]
fn entered_in_error_is_staff_only_and_needs_a_reason() {
    for from in Status::ALL {
        if from == Status::EnteredInError {
            continue;
        }
        let to = Status::EnteredInError;
        for actor in [Party::Patient, Party::Practitioner, Party::System] {
            assert_eq!(
                code(go(from, to, actor, Some("x"), at(0))),
                ErrorCode::NotPermitted
            );
        }
        assert_eq!(
            code(go(from, to, Party::Staff, None, at(0))),
            ErrorCode::InvalidRequest
        );
        assert!(go(from, to, Party::Staff, Some("wrong patient"), at(0)).is_ok());
    }
}

#[test]
fn reasons_required_where_the_table_says() {
    use Status::{Arrived, Booked, Cancelled, CheckedIn, Held, Pending, Proposed, Waitlist};
    for from in [Pending, Booked, Arrived, CheckedIn] {
        assert!(reason_required(from, Cancelled));
        let now = good_now(from, Cancelled);
        for blank in [None, Some(""), Some("  \t")] {
            let e = go(from, Cancelled, Party::Staff, blank, now).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{from}");
            assert!(e.message().starts_with("reason: "), "{e}");
        }
        assert!(go(from, Cancelled, Party::Staff, Some("patient left"), now).is_ok());
    }
    for from in [Proposed, Held, Waitlist] {
        assert!(!reason_required(from, Cancelled));
        assert!(
            go(
                from,
                Cancelled,
                Party::Staff,
                None,
                good_now(from, Cancelled)
            )
            .is_ok()
        );
        assert!(
            go(
                from,
                Cancelled,
                Party::Staff,
                Some(" "),
                good_now(from, Cancelled)
            )
            .is_ok()
        );
    }
    assert!(!reason_required(Proposed, Booked));
    assert!(go(Proposed, Booked, Party::Staff, None, at(-60)).is_ok());
}

#[test]
fn wrong_actor_is_reported_before_a_missing_reason_or_the_clock() {
    let e = go(
        Status::Arrived,
        Status::Cancelled,
        Party::Patient,
        None,
        at(5),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotPermitted);
    let e = go(
        Status::Booked,
        Status::Noshow,
        Party::Patient,
        None,
        at(-100),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotPermitted);
    // The clock is checked before the reason.
    let e = go(Status::Booked, Status::Cancelled, Party::Staff, None, at(1)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
}

#[test]
fn a_hold_is_confirmed_only_before_it_expires() {
    let mut b = booking(Status::Held);
    b.hold_expires = Some(at(-100));
    let p = LifecyclePolicy::default();
    let ok = transition(&b, &req(Status::Booked, Party::Patient, None, at(-101)), &p).unwrap();
    assert!(ok.outcomes.is_empty());
    for now in [at(-100), at(-99), at(10)] {
        let e = transition(&b, &req(Status::Booked, Party::Patient, None, now), &p).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert!(e.message().contains("expired"), "{e}");
    }
    b.hold_expires = None;
    let e = transition(&b, &req(Status::Booked, Party::Staff, None, at(-101)), &p).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
    // Releasing a hold needs no reason; an expired hold frees nothing new.
    b.hold_expires = Some(at(-100));
    let live = transition(
        &b,
        &req(Status::Cancelled, Party::Patient, None, at(-101)),
        &p,
    )
    .unwrap();
    assert_eq!(live.outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
    let lapsed = transition(
        &b,
        &req(Status::Cancelled, Party::System, None, at(-99)),
        &p,
    )
    .unwrap();
    assert_eq!(lapsed.outcomes, [Outcome::Cancelled]);
}

#[test]
fn arrival_and_check_in_window() {
    for to in [Status::Arrived, Status::CheckedIn] {
        let r = |now| go(Status::Booked, to, Party::Staff, None, now);
        assert_eq!(code(r(at(-61))), ErrorCode::InvalidTransition);
        assert!(r(at(-61)).unwrap_err().message().contains("before"));
        assert!(r(at(-60)).is_ok());
        assert!(r(at(0)).is_ok());
        assert!(r(Timestamp::from_unix(at(30).unix() - 1).unwrap()).is_ok());
        let e = r(at(30)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert!(e.message().contains("noshow"), "{e}");
    }
    let p = LifecyclePolicy {
        checkin_opens_minutes: Minutes::ZERO,
        ..LifecyclePolicy::default()
    };
    let b = booking(Status::Booked);
    let r = |now| transition(&b, &req(Status::CheckedIn, Party::Patient, None, now), &p);
    assert!(r(at(-1)).is_err());
    assert!(r(at(0)).is_ok());
}

#[test]
fn cancelling_a_booked_appointment() {
    let r = |now| {
        go(
            Status::Booked,
            Status::Cancelled,
            Party::Patient,
            Some("ill"),
            now,
        )
    };
    // Exactly 24 hours ahead is not late; a minute less is.
    assert_eq!(
        r(at(-1440)).unwrap().outcomes,
        [Outcome::Cancelled, Outcome::SlotFreed]
    );
    assert_eq!(
        r(at(-1439)).unwrap().outcomes,
        [
            Outcome::Cancelled,
            Outcome::LateCancellation {
                minutes_before_start: Minutes::new(1439)
            },
            Outcome::SlotFreed
        ]
    );
    // Rounded down: 30 seconds before the start is 0 minutes before.
    let half = Timestamp::from_unix(START - 30).unwrap();
    assert_eq!(
        r(half).unwrap().outcomes[1],
        Outcome::LateCancellation {
            minutes_before_start: Minutes::ZERO
        }
    );
    for now in [at(0), at(10), at(60)] {
        let e = r(now).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert!(e.message().contains("noshow"), "{e}");
    }
    // Other cancellations are never late.
    let done = go(
        Status::Pending,
        Status::Cancelled,
        Party::Patient,
        Some("x"),
        at(-5),
    )
    .unwrap();
    assert_eq!(done.outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
    let done = go(
        Status::Proposed,
        Status::Cancelled,
        Party::Patient,
        None,
        at(-5),
    )
    .unwrap();
    assert_eq!(done.outcomes, [Outcome::Cancelled]);
}

#[test]
fn noshow_after_the_grace_period() {
    let r = |now| {
        go(
            Status::Booked,
            Status::Noshow,
            Party::Practitioner,
            None,
            now,
        )
    };
    assert_eq!(code(r(at(14))), ErrorCode::InvalidTransition);
    assert_eq!(
        code(r(Timestamp::from_unix(at(15).unix() - 1).unwrap())),
        ErrorCode::InvalidTransition
    );
    assert_eq!(r(at(15)).unwrap().outcomes, [Outcome::NoShow]);
    assert_eq!(r(at(600)).unwrap().outcomes, [Outcome::NoShow]);
}

#[test]
fn fulfilled_from_the_start() {
    for from in [Status::Arrived, Status::CheckedIn] {
        let r = |now| go(from, Status::Fulfilled, Party::Practitioner, None, now);
        let e = r(Timestamp::from_unix(START - 1).unwrap()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert!(r(at(0)).is_ok());
        assert!(r(at(500)).unwrap().outcomes.is_empty());
    }
    // The patient leaving before being seen.
    let done = go(
        Status::Arrived,
        Status::Cancelled,
        Party::Staff,
        Some("left"),
        at(-10),
    )
    .unwrap();
    assert_eq!(done.outcomes, [Outcome::Cancelled, Outcome::SlotFreed]);
    let done = go(
        Status::CheckedIn,
        Status::Cancelled,
        Party::Staff,
        Some("left"),
        at(10),
    )
    .unwrap();
    assert_eq!(done.outcomes, [Outcome::Cancelled]);
}

#[test]
fn entered_in_error_frees_a_future_slot() {
    let done = go(
        Status::Booked,
        Status::EnteredInError,
        Party::Staff,
        Some("dup"),
        at(-5),
    )
    .unwrap();
    assert_eq!(done.outcomes, [Outcome::SlotFreed]);
    let done = go(
        Status::Proposed,
        Status::EnteredInError,
        Party::Staff,
        Some("dup"),
        at(-5),
    )
    .unwrap();
    assert!(done.outcomes.is_empty());
}

#[test]
fn policy_is_validated() {
    for bad in [
        LifecyclePolicy {
            late_cancel_minutes: Minutes::new(-1),
            ..LifecyclePolicy::default()
        },
        LifecyclePolicy {
            noshow_grace_minutes: Minutes::new(MAX_POLICY_MINUTES.get() + 1),
            ..LifecyclePolicy::default()
        },
        LifecyclePolicy {
            checkin_opens_minutes: Minutes::new(i64::MIN),
            ..LifecyclePolicy::default()
        },
    ] {
        let e = transition(
            &booking(Status::Proposed),
            &req(Status::Pending, Party::Patient, None, at(0)),
            &bad,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidDuration);
        assert!(e.message().starts_with("policy."), "{e}");
    }
}

#[test]
fn serde_shapes() {
    let p: LifecyclePolicy = serde_json::from_str("{}").unwrap();
    assert_eq!(p, LifecyclePolicy::default());
    let p: LifecyclePolicy = serde_json::from_str(r#"{"noshow_grace_minutes": 5}"#).unwrap();
    assert_eq!(
        (p.noshow_grace_minutes.get(), p.late_cancel_minutes.get()),
        (5, 1440)
    );
    assert!(serde_json::from_str::<LifecyclePolicy>(r#"{"grace": 5}"#).is_err());
    assert_eq!(
        serde_json::to_string(&Party::Practitioner).unwrap(),
        r#""practitioner""#
    );
    let r: TransitionRequest = serde_json::from_str(
        r#"{"to": "checked-in", "actor": "staff", "now": "2026-05-04T08:30:00Z"}"#,
    )
    .unwrap();
    assert_eq!(r, req(Status::CheckedIn, Party::Staff, None, at(-30)));
    let done = go(
        Status::Booked,
        Status::Cancelled,
        Party::Patient,
        Some("x"),
        at(-30),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&done).unwrap(),
        serde_json::json!({
            "from": "booked", "to": "cancelled",
            "outcomes": [
                {"outcome": "cancelled"},
                {"outcome": "late_cancellation", "minutes_before_start": 30},
                {"outcome": "slot_freed"}
            ]
        })
    );
    let back: Transitioned = serde_json::from_value(serde_json::to_value(&done).unwrap()).unwrap();
    assert_eq!(back, done);
}

#[test]
fn transition_request_constructor_and_round_trip() {
    let plain = TransitionRequest::new(Status::Arrived, Party::Staff, at(-10));
    assert_eq!(plain, req(Status::Arrived, Party::Staff, None, at(-10)));
    let why = plain.clone().reason("came early");
    assert_eq!(
        why,
        req(Status::Arrived, Party::Staff, Some("came early"), at(-10))
    );
    for r in [plain, why] {
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v.get("reason").is_some(), r.reason.is_some(), "{v}");
        assert_eq!(serde_json::from_value::<TransitionRequest>(v).unwrap(), r);
    }
    for o in [
        Outcome::Cancelled,
        Outcome::LateCancellation {
            minutes_before_start: Minutes::new(42),
        },
        Outcome::NoShow,
        Outcome::SlotFreed,
    ] {
        let v = serde_json::to_value(o).unwrap();
        assert_eq!(serde_json::from_value::<Outcome>(v).unwrap(), o);
    }
    for p in Party::ALL {
        let v = serde_json::to_value(p).unwrap();
        assert_eq!(v, p.as_str());
        assert_eq!(serde_json::from_value::<Party>(v).unwrap(), p);
    }
}

fn ledger_with(b: Booking) -> Ledger {
    let mut l = Ledger::new();
    l.insert(b).unwrap();
    l
}

#[test]
fn apply_records_the_status() {
    let mut l = ledger_with(booking(Status::Booked));
    let p = LifecyclePolicy::default();
    let done = apply(
        &mut l,
        "a1",
        &req(Status::CheckedIn, Party::Patient, None, at(-5)),
        &p,
    )
    .unwrap();
    assert_eq!(done.to, Status::CheckedIn);
    assert_eq!(l.get("a1").unwrap().status, Status::CheckedIn);
    // A refused change leaves the ledger as it was.
    let e = apply(
        &mut l,
        "a1",
        &req(Status::Noshow, Party::Staff, None, at(60)),
        &p,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
    assert_eq!(l.get("a1").unwrap().status, Status::CheckedIn);

    let e = apply(
        &mut l,
        "nope",
        &req(Status::Booked, Party::Staff, None, at(0)),
        &p,
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    assert!(e.message().contains("nope"), "{e}");
}

#[test]
fn apply_clears_the_hold_when_confirming() {
    let mut held = booking(Status::Held);
    held.hold_expires = Some(at(-100));
    let mut l = ledger_with(held);
    let p = LifecyclePolicy::default();
    apply(
        &mut l,
        "a1",
        &req(Status::Booked, Party::Patient, None, at(-110)),
        &p,
    )
    .unwrap();
    let b = l.get("a1").unwrap();
    assert_eq!((b.status, b.hold_expires), (Status::Booked, None));
    assert!(b.validate().is_ok());
}

#[test]
fn apply_refuses_to_overbook() {
    let mut l = ledger_with(booking(Status::Booked));
    let mut other = booking(Status::Proposed);
    other.id = "a2".into();
    other.resources = vec!["provider:P1".into(), "patient:X2".into()];
    l.insert(other).unwrap();
    let p = LifecyclePolicy::default();
    for to in [Status::Booked, Status::Pending] {
        let e = apply(&mut l, "a2", &req(to, Party::Staff, None, at(-60)), &p).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert!(e.message().contains("provider:P1 (by a1)"), "{e}");
        assert_eq!(l.get("a2").unwrap().status, Status::Proposed);
    }
    // Once a1 is cancelled, a2 can take the slot.
    apply(
        &mut l,
        "a1",
        &req(Status::Cancelled, Party::Staff, Some("moved"), at(-60)),
        &p,
    )
    .unwrap();
    apply(
        &mut l,
        "a2",
        &req(Status::Booked, Party::Staff, None, at(-60)),
        &p,
    )
    .unwrap();
    assert_eq!(l.get("a2").unwrap().status, Status::Booked);
}

fn any_status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

fn any_step() -> impl Strategy<Value = TransitionRequest> {
    (
        any_status(),
        prop::sample::select(Party::ALL.to_vec()),
        // From two days before the start to a day after, in minutes, so the
        // policy boundaries are hit often.
        -2880i64..1440,
        prop::option::of(prop::sample::select(vec!["", " ", "patient request"])),
    )
        .prop_map(|(to, actor, minutes, reason)| req(to, actor, reason, at(minutes)))
}

/// Apply `steps` to a ledger holding `start` and check every step.
fn check_walk(
    start: Booking,
    steps: &[TransitionRequest],
) -> std::result::Result<(), TestCaseError> {
    let mut l = ledger_with(start);
    let policy = LifecyclePolicy::default();
    for step in steps {
        let before = l.get("a1").unwrap().status;
        match apply(&mut l, "a1", step, &policy) {
            Ok(done) => {
                prop_assert_eq!(done.from, before);
                prop_assert_eq!(done.to, step.to);
                let actors = allowed_actors(before, step.to);
                prop_assert!(
                    actors.is_some(),
                    "{} -> {} is not in TRANSITIONS",
                    before,
                    step.to
                );
                prop_assert!(actors.unwrap_or_default().contains(&step.actor));
                prop_assert!(legal_targets(before).contains(&step.to));
                prop_assert_eq!(l.get("a1").unwrap().status, step.to);
                if is_terminal(before) {
                    prop_assert_eq!(step.to, Status::EnteredInError);
                    prop_assert_ne!(before, Status::EnteredInError);
                }
                if reason_required(before, step.to) {
                    prop_assert!(step.reason.as_deref().is_some_and(|r| !r.trim().is_empty()));
                }
            }
            Err(e) => {
                prop_assert_eq!(l.get("a1").unwrap().status, before);
                let expected = match allowed_actors(before, step.to) {
                    None => vec![ErrorCode::InvalidTransition],
                    Some(a) if !a.contains(&step.actor) => vec![ErrorCode::NotPermitted],
                    Some(_) => vec![ErrorCode::InvalidTransition, ErrorCode::InvalidRequest],
                };
                prop_assert!(expected.contains(&e.code()), "{}", e);
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn walks_from_proposed_follow_the_table(
        steps in prop::collection::vec(any_step(), 0..16),
    ) {
        check_walk(booking(Status::Proposed), &steps)?;
    }

    #[test]
    fn walks_from_any_status_follow_the_table(
        from in any_status(),
        hold in -2880i64..1440,
        steps in prop::collection::vec(any_step(), 0..16),
    ) {
        let mut b = booking(from);
        if from == Status::Held {
            b.hold_expires = Some(at(hold));
        }
        check_walk(b, &steps)?;
    }
}
