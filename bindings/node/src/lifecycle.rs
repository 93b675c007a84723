//! The appointment lifecycle (`hcas_core::lifecycle`), behind the package's
//! `LifecyclePolicy`, `transition`, `apply` and the table queries
//! (`legalTargets`, `allowedActors`, `reasonRequired`, `isTerminal`).
//! Conversions only: statuses, parties and outcome kinds are the engine's
//! wire names, policy fields whole minutes.

use hcas_core::booking::Status;
use hcas_core::lifecycle::{self, LifecyclePolicy, Outcome, Party, TransitionRequest};
use hcas_core::{Error, ErrorCode};
use napi_derive::napi;

use crate::Result;
use crate::booking::{NativeBooking, NativeLedger};
use crate::typed::{InstantArg, instant, minutes};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| crate::to_js(&e))
}

/// A status wire name named `name`.
pub(crate) fn status(text: &str, name: &str) -> Result<Status> {
    js(Status::parse(text).map_err(|e| e.at(name)))
}

/// A party wire name named `name` (`patient`, `practitioner`, `staff`, `system`).
pub(crate) fn party(text: &str, name: &str) -> Result<Party> {
    Party::ALL
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| {
            crate::to_js(&Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "{name}: `{text}` is not a party; give one of {}",
                    Party::ALL.map(Party::as_str).join(", ")
                ),
            ))
        })
}

/// The clinic's lifecycle timing rules in whole minutes, as the wrapper
/// passes them (a field left out takes the engine's default) and as
/// [`lifecycle_policy`] answers them (every field set).
#[napi(object)]
pub struct NativeLifecyclePolicy {
    /// A cancellation less than this long before the start is late (default 1440).
    pub late_cancel_minutes: Option<f64>,
    /// A booked patient becomes a no-show this long after the start (default 15).
    pub noshow_grace_minutes: Option<f64>,
    /// Arrival and check-in open this long before the start (default 60).
    pub checkin_opens_minutes: Option<f64>,
}

/// The engine's policy from the wrapper's (none: the default), validated.
pub(crate) fn policy(p: Option<&NativeLifecyclePolicy>) -> Result<LifecyclePolicy> {
    let mut out = LifecyclePolicy::new();
    if let Some(p) = p {
        if let Some(m) = p.late_cancel_minutes {
            out = out.late_cancel(minutes(m, "policy.lateCancelMinutes")?);
        }
        if let Some(m) = p.noshow_grace_minutes {
            out = out.noshow_grace(minutes(m, "policy.noshowGraceMinutes")?);
        }
        if let Some(m) = p.checkin_opens_minutes {
            out = out.checkin_opens(minutes(m, "policy.checkinOpensMinutes")?);
        }
    }
    js(out.validate())?;
    Ok(out)
}

/// Whole minutes as a JS number (policy fields are at most 366 days).
#[allow(clippy::cast_precision_loss)]
fn number(m: hcas_core::Minutes) -> f64 {
    m.get() as f64
}

/// The policy `options` describe, checked (each field between 0 and 366
/// days, `invalid_duration` otherwise), with every field filled in.
#[napi]
pub fn lifecycle_policy(options: Option<NativeLifecyclePolicy>) -> Result<NativeLifecyclePolicy> {
    let p = policy(options.as_ref())?;
    Ok(NativeLifecyclePolicy {
        late_cancel_minutes: Some(number(p.late_cancel_minutes)),
        noshow_grace_minutes: Some(number(p.noshow_grace_minutes)),
        checkin_opens_minutes: Some(number(p.checkin_opens_minutes)),
    })
}

/// A consequence of a transition: its kind (`cancelled`,
/// `late_cancellation`, `no_show`, `slot_freed`) and, for a late
/// cancellation, the whole minutes from `now` to the start (rounded down).
#[napi(object, object_from_js = false)]
pub struct NativeOutcome {
    /// The outcome's wire name.
    pub kind: String,
    /// For `late_cancellation` only: minutes before the start.
    pub minutes_before_start: Option<f64>,
}

/// Outcomes as the package answers them.
pub(crate) fn outcomes(items: &[Outcome]) -> Vec<NativeOutcome> {
    items
        .iter()
        .map(|o| {
            let (kind, before) = match o {
                Outcome::Cancelled => ("cancelled", None),
                Outcome::LateCancellation {
                    minutes_before_start,
                } => ("late_cancellation", Some(number(*minutes_before_start))),
                Outcome::NoShow => ("no_show", None),
                Outcome::SlotFreed => ("slot_freed", None),
                // An outcome added to the engine before this binding knows it.
                _ => ("unknown", None),
            };
            NativeOutcome {
                kind: kind.to_string(),
                minutes_before_start: before,
            }
        })
        .collect()
}

/// An allowed transition: the status before and after, and what follows.
#[napi(object, object_from_js = false)]
pub struct NativeTransitioned {
    /// The status before.
    pub from: String,
    /// The status after.
    pub to: String,
    /// What follows, in the engine's order.
    pub outcomes: Vec<NativeOutcome>,
}

impl From<lifecycle::Transitioned> for NativeTransitioned {
    fn from(t: lifecycle::Transitioned) -> Self {
        Self {
            from: t.from.as_str().to_string(),
            to: t.to.as_str().to_string(),
            outcomes: outcomes(&t.outcomes),
        }
    }
}

/// A transition request from its parts.
fn request(
    to: &str,
    actor: &str,
    now: &InstantArg,
    reason: Option<String>,
) -> Result<TransitionRequest> {
    let mut r = TransitionRequest::new(
        status(to, "to")?,
        party(actor, "actor")?,
        instant(now, "now")?,
    );
    if let Some(reason) = reason {
        r = r.reason(reason);
    }
    Ok(r)
}

/// Whether `actor` may move `booking` to `to` at `now` (with `reason`)
/// under `policy`, and what follows; nothing is changed
/// (`hcas_core::lifecycle::transition`).
#[napi]
pub fn transition(
    booking: &NativeBooking,
    to: String,
    actor: String,
    now: InstantArg,
    reason: Option<String>,
    policy: Option<NativeLifecyclePolicy>,
) -> Result<NativeTransitioned> {
    let req = request(&to, &actor, &now, reason)?;
    let policy = self::policy(policy.as_ref())?;
    js(lifecycle::transition(&booking.0, &req, &policy)).map(NativeTransitioned::from)
}

/// `transition` for the booking `id` in `ledger`, then record the new
/// status (`hcas_core::lifecycle::apply`); on any error the ledger is
/// unchanged.
#[napi]
pub fn apply_transition(
    ledger: &mut NativeLedger,
    id: String,
    to: String,
    actor: String,
    now: InstantArg,
    reason: Option<String>,
    policy: Option<NativeLifecyclePolicy>,
) -> Result<NativeTransitioned> {
    let req = request(&to, &actor, &now, reason)?;
    let policy = self::policy(policy.as_ref())?;
    js(lifecycle::apply(&mut ledger.0, &id, &req, &policy)).map(NativeTransitioned::from)
}

/// The statuses `from` may legally move to, in the engine's table order.
#[napi]
pub fn legal_targets(from: String) -> Result<Vec<String>> {
    Ok(lifecycle::legal_targets(status(&from, "from")?)
        .iter()
        .map(|s| s.as_str().to_string())
        .collect())
}

/// The parties allowed to move a booking from `from` to `to`, or `null`
/// when that change is not legal at all.
#[napi]
pub fn allowed_actors(from: String, to: String) -> Result<Option<Vec<String>>> {
    Ok(
        lifecycle::allowed_actors(status(&from, "from")?, status(&to, "to")?)
            .map(|ps| ps.iter().map(|p| p.as_str().to_string()).collect()),
    )
}

/// Whether moving from `from` to `to` needs a non-blank reason.
#[napi]
pub fn reason_required(from: String, to: String) -> Result<bool> {
    Ok(lifecycle::reason_required(
        status(&from, "from")?,
        status(&to, "to")?,
    ))
}

/// Whether no change but `entered-in-error` leaves `status`.
#[napi]
pub fn is_terminal(status: String) -> Result<bool> {
    Ok(lifecycle::is_terminal(self::status(&status, "status")?))
}

/// The wire names of every party, in the engine's order.
#[napi]
pub fn parties() -> Vec<String> {
    Party::ALL.iter().map(|p| p.as_str().to_string()).collect()
}
