//! Consent: who may see or change what of a patient's data, for which
//! purpose, when (the shared `CONSENT.md`, in the project's words in
//! `docs/consent.md`).
//!
//! The model follows the FHIR R5 `Consent` resource: a [`Consent`] has a base
//! [`Effect`] and a tree of [`Provision`]s, each an exception to its parent
//! with the opposite effect. A [`ConsentRequest`] is decided by five steps,
//! the first that decides wins:
//!
//! 1. **self**: a patient on their own data reads everything but
//!    psychotherapy notes and writes appointments only; a patient-only actor
//!    on someone else's data is denied (basis `role`);
//! 2. **role gate**: the organisation's [`RolePolicy`] bounds what each role may
//!    ever do;
//! 3. **break-glass**: a doctor or nurse in an emergency, for at most an hour;
//! 4. **consents**: the latest applicable consent decides (deny first on a
//!    tie of dates, then the smallest id);
//! 5. **default**: HIPAA's treatment/payment/operations defaults.
//!
//! Every request that carries `break_glass` gets the obligation
//! [`AUDIT_BREAK_GLASS`], whatever was decided. Writing the audit record is
//! the caller's job; a caller that cannot write it must refuse the access.
//!
//! [`decide`] answers one request; [`CompiledConsents`] compiles one
//! patient's consents once (bitsets, integer intervals, pre-sorted consents)
//! and answers many requests fast. [`booking_allowed`] asks "may this
//! appointment be booked?" as consent questions.
//!
//! ```
//! use hcas_core::consent::{
//!     decide, Accessor, Basis, Category, Consent, ConsentRequest, Effect, Purpose, Role, RolePolicy,
//! };
//! let t = |s: &str| s.parse().unwrap();
//! let consent = Consent::deny("K2", "Pat9", t("2025-03-01T00:00:00Z"));
//! let request = ConsentRequest::builder(Accessor::new("DrX", "OrgA").with_role(Role::Doctor), "Pat9")
//!     .read(Category::Labs)
//!     .for_purpose(Purpose::Treat)
//!     .at(t("2025-09-01T10:00:00Z"))
//!     .build()
//!     .unwrap();
//! let d = decide(&request, &[consent], &RolePolicy::default()).unwrap();
//! assert_eq!((d.decision, d.basis, d.consent.as_deref()), (Effect::Deny, Basis::Consent, Some("K2")));
//! ```
//!
//! The same values parse from (and serialise to) the JSON of `CONSENT.md`:
//! [`Consent::from_json`], [`ConsentRequest::from_json`],
//! [`RolePolicy::from_json`], or `serde`.
//!
//! # Where things are
//!
//! Everything is public at this path; the source is split by concept:
//!
//! | file under `src/consent/` | holds |
//! |---|---|
//! | `vocabulary.rs` | [`Role`], [`Category`], [`Action`], [`Purpose`], [`Effect`], [`ConsentStatus`], [`Basis`] |
//! | `model.rs` | [`Consent`], [`Provision`], [`Match`], [`Period`]: builders and validation |
//! | `policy.rs` | [`RolePolicy`], [`Rights`] (step 2) |
//! | `request.rs` | [`Accessor`], [`BreakGlass`], [`ConsentRequest`], [`ConsentRequestBuilder`] |
//! | `decision.rs` | [`Decision`] |
//! | `compiled.rs` | [`CompiledConsents`]: steps 1-5 on the compiled form |
//! | `appointment.rs` | [`booking_allowed`] and its question and verdict |
//! | `json.rs` | the strict JSON of `CONSENT.md` (behind `from_json` and `serde`) |
//!
//! The FHIR R4/R5 `Consent` mapping lives with the other FHIR resources in
//! `hcas_core::fhir::consent` (cargo feature `fhir`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;

mod appointment;
mod compiled;
mod decision;
mod json;
mod model;
mod policy;
mod request;
mod vocabulary;

pub use appointment::{
    AppointmentKind, BOOKING_PURPOSE, BookingQuestion, BookingVerdict, Refusal, TELEHEALTH_LABEL,
    booking_allowed,
};
pub use compiled::CompiledConsents;
pub use decision::Decision;
pub(crate) use model::consent_error;
pub use model::{Consent, Match, Period, Provision};
pub use policy::{Rights, RolePolicy};
pub use request::{Accessor, BreakGlass, ConsentRequest, ConsentRequestBuilder};
pub(crate) use vocabulary::Code;
pub use vocabulary::{Action, Basis, Category, ConsentStatus, Effect, Purpose, Role};

/// The FHIR R4/R5 `Consent` mapping, kept at this path for existing callers;
/// its home is [`crate::fhir::consent`] (with the other FHIR resources).
#[cfg(feature = "fhir")]
#[doc(no_inline)]
pub use crate::fhir::consent as fhir;

/// The obligation every request carrying `break_glass` gets: the caller must
/// write an audit record of the attempt (and refuse the access if it cannot).
pub const AUDIT_BREAK_GLASS: &str = "audit-break-glass";

/// How long a break-glass session lasts: `started_at` may be at most this
/// many seconds before `at` (60 minutes, inclusive).
pub const BREAK_GLASS_SECONDS: i64 = 60 * 60;

/// How deep provisions may nest (a provision inside a provision ... inside a
/// consent). Real consents use two or three levels; the bound keeps every
/// recursion over the tree shallow.
pub const MAX_PROVISION_DEPTH: usize = 32;

/// Decide one request against a list of consents (any patients': only the
/// request's patient's count) and a policy. Compiles the consents first; to
/// answer many requests about one patient, build a [`CompiledConsents`] once.
///
/// ```
/// use hcas_core::consent::{decide, Accessor, Basis, BreakGlass, Category, ConsentRequest, Purpose,
///     Role, RolePolicy, AUDIT_BREAK_GLASS};
/// let t = |s: &str| s.parse().unwrap();
/// let nurse = Accessor::new("Nu1", "OrgA").with_role(Role::Nurse);
/// let request = ConsentRequest::builder(nurse, "Pat9")
///     .read(Category::Records)
///     .for_purpose(Purpose::Etreat)
///     .at(t("2025-09-01T10:30:00Z"))
///     .break_glass(BreakGlass::new("unconscious on arrival", t("2025-09-01T10:00:00Z")))
///     .build()
///     .unwrap();
/// let d = decide(&request, &[], &RolePolicy::default()).unwrap();
/// assert!(d.is_permit());
/// assert_eq!(d.basis, Basis::BreakGlass);
/// assert_eq!(d.obligations, [AUDIT_BREAK_GLASS]); // the caller must write the audit record
/// ```
///
/// # Errors
/// `invalid_consent` (or `invalid_datetime`) for a consent that breaks the
/// model, duplicate consent ids included; `invalid_request` for a request
/// that fails [`ConsentRequest::validate`].
pub fn decide(
    request: &ConsentRequest,
    consents: &[Consent],
    policy: &RolePolicy,
) -> Result<Decision> {
    CompiledConsents::new(&request.patient, consents, policy)?.decide(request)
}

#[doc = include_str!("../../../docs/consent.md")]
#[cfg(all(doctest, feature = "fhir"))]
pub struct ConsentDocDoctests;
