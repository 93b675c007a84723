//! The conformance suite every adapter must pass, written once against the
//! ports (`&dyn AppointmentStore`, `&dyn Store`), one file per port. Each
//! `suite_*` function wants a fresh, empty store; the adapters' tests run
//! every case on every adapter with the `conformance!` runner macro of
//! `tests/conformance.rs` (one `#[tokio::test]` per case and adapter). The
//! races (`races`) take several handles on the same data and are run by
//! `tests/concurrency.rs`.
//!
//! | file | port | cases |
//! |---|---|---|
//! | `appointments.rs` | [`AppointmentStore`] | book, get, conflicts, capacity, busy, outbox, the overlap bound |
//! | `holds.rs` | [`AppointmentStore`] | holds, idempotency keys and their expiry |
//! | `lifecycle.rs` | [`AppointmentStore`] | versions, status changes, the policy, reschedule, refused writes |
//! | `history.rs` | [`HistoryStore`](crate::HistoryStore) | who changed what, when and why |
//! | `series.rs` | [`SeriesStore`](crate::SeriesStore) | book, shift and cancel a series |
//! | `anchors.rs` | [`AnchorStore`](crate::AnchorStore) | tz drift sweep, re-anchoring ([`Plant`]) |
//! | `profiles.rs` | [`PatientStore`](crate::PatientStore), [`ProviderStore`](crate::ProviderStore) | profiles, preferences, schedules, availability |
//! | `records.rs` | waitlist, consents, records, audit | the other ports |
//! | `accounts.rs` | [`AccountStore`](crate::AccountStore) | accounts, patient self-registration (both records or neither), refresh-token rotation and reuse |
//! | `feeds.rs` | [`FeedTokenStore`](crate::FeedTokenStore) | feed tokens by hash, by subject, permanent revocation |
//! | `notifications.rs` | [`NotificationStore`](crate::NotificationStore) | the queue's key (event, channel, recipient), leases, order per appointment, dead letters, resend, the delivery log, withdrawing an appointment's pending reminders |
//! | `webhooks.rs` | [`WebhookStore`](crate::WebhookStore) | subscriptions, dedupe, order per appointment, leases, dead letters, replay |
//! | `documents.rs` | [`ContentStore`](crate::documents::ContentStore) (feature `documents`) | encrypted documents' metadata and wrapped keys, compare-and-swap rewrap, delete |
//! | `races.rs` | several handles | bookings, series, shifts and reschedules racing |
//!
//! Test code: it asserts and panics on failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    clippy::missing_panics_doc
)]

mod accounts;
mod anchors;
mod appointments;
#[cfg(feature = "documents")]
mod documents;
mod feeds;
mod history;
mod holds;
mod lifecycle;
mod notifications;
mod profiles;
mod races;
mod records;
mod series;
mod webhooks;

pub use accounts::*;
pub use anchors::*;
pub use appointments::*;
#[cfg(feature = "documents")]
pub use documents::*;
pub use feeds::*;
pub use history::*;
pub use holds::*;
pub use lifecycle::*;
pub use notifications::*;
pub use profiles::*;
pub use races::*;
pub use records::*;
pub use series::*;
pub use webhooks::*;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hcas_core::booking::{Booking, Conflict, Status};
use hcas_core::lifecycle::{LifecyclePolicy, Outcome, Party, TransitionRequest};
use hcas_core::{ErrorCode, Interval, Minutes, Timestamp};

use crate::{AppointmentStore, Counts, StoreError, kind};

use crate::AuditQuery;
use crate::records::{AuditEvent, Patient, Provider, RecordMeta, Schedule, TimeOff};
use crate::{Store, Stored};
use hcas_core::wire::RuleSpec;

/// A status change to `to` by `actor`, with `reason`, at `now`.
#[must_use]
pub fn change(to: Status, actor: Party, reason: Option<&str>, now: Timestamp) -> TransitionRequest {
    let mut x = TransitionRequest::new(to, actor, now);
    x.reason = reason.map(str::to_string);
    x
}

/// 2026-05-04T09:00:00Z plus `minutes`.
#[must_use]
pub fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix(1_777_885_200 + minutes * 60).unwrap()
}

/// A booked appointment from `at(from)` to `at(to)` on `resources`.
#[must_use]
pub fn booked(id: &str, from: i64, to: i64, resources: &[&str]) -> Booking {
    let resources = resources.iter().map(|r| (*r).to_string()).collect();
    let mut b = Booking::new(
        id,
        resources,
        Interval::new(Timestamp::MIN, Timestamp::MAX).unwrap(),
    );
    // Set after construction: the suites also need empty intervals, to
    // check that stores refuse them.
    b.start = at(from);
    b.end = at(to);
    b
}

/// A hold from `at(from)` to `at(to)` expiring at `at(expires)`.
#[must_use]
pub fn held(id: &str, from: i64, to: i64, expires: i64, resources: &[&str]) -> Booking {
    let mut b = booked(id, from, to, resources);
    b.status = Status::Held;
    b.hold_expires = Some(at(expires));
    b
}

fn conflicts_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> Vec<Conflict> {
    match r {
        Err(StoreError::Conflict { conflicts }) => conflicts,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn c(resource: &str, with: &[&str]) -> Conflict {
    Conflict::new(
        resource.to_string(),
        with.iter().map(|s| (*s).to_string()).collect(),
    )
}

fn code_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> (&'static str, Option<ErrorCode>) {
    let e = r.expect_err("expected an error");
    (e.code(), e.core_code())
}
