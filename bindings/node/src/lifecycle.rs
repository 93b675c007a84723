//! The appointment lifecycle (`hcas_core::lifecycle`), behind the package's
//! `LifecyclePolicy`, `transition`, `apply` and the table queries
//! (`legalTargets`, `allowedActors`, `reasonRequired`, `isTerminal`).
//! Argument extraction, error mapping and the napi classes only: statuses,
//! parties and the policy are parsed, and the answers shaped, by
//! `hcas_js_shapes::lifecycle`, which the wasm binding calls too.

use hcas_core::booking::Status;
use hcas_core::lifecycle::{self, LifecyclePolicy, Party, TransitionRequest};
use hcas_js_shapes::lifecycle as shapes;
use napi_derive::napi;

use crate::Result;
use crate::booking::{NativeBooking, NativeLedger};
use crate::typed::{InstantArg, instant};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| crate::to_js(&e))
}

/// A status wire name named `name`.
pub(crate) fn status(text: &str, name: &str) -> Result<Status> {
    js(shapes::status(text, name))
}

/// A party wire name named `name` (`patient`, `practitioner`, `staff`, `system`).
pub(crate) fn party(text: &str, name: &str) -> Result<Party> {
    js(shapes::party(text, name))
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
    shapes::policy(
        "policy.",
        |name| {
            Ok(p.and_then(|p| match name {
                "lateCancelMinutes" => p.late_cancel_minutes,
                "noshowGraceMinutes" => p.noshow_grace_minutes,
                _ => p.checkin_opens_minutes,
            }))
        },
        |e| crate::to_js(&e),
    )
}

/// The policy `options` describe, checked (each field between 0 and 366
/// days, `invalid_duration` otherwise), with every field filled in.
#[napi]
pub fn lifecycle_policy(options: Option<NativeLifecyclePolicy>) -> Result<NativeLifecyclePolicy> {
    let p = shapes::policy_out(&policy(options.as_ref())?);
    Ok(NativeLifecyclePolicy {
        late_cancel_minutes: Some(p.late_cancel_minutes),
        noshow_grace_minutes: Some(p.noshow_grace_minutes),
        checkin_opens_minutes: Some(p.checkin_opens_minutes),
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

impl From<shapes::OutcomeOut> for NativeOutcome {
    fn from(o: shapes::OutcomeOut) -> Self {
        Self {
            kind: o.kind.to_string(),
            minutes_before_start: o.minutes_before_start,
        }
    }
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
        let t = shapes::transitioned(&t);
        Self {
            from: t.from.to_string(),
            to: t.to.to_string(),
            outcomes: t.outcomes.into_iter().map(NativeOutcome::from).collect(),
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
    shapes::request(
        to,
        actor,
        || instant(now, "now"),
        reason,
        |e| crate::to_js(&e),
    )
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
