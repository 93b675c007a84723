//! The appointment lifecycle (`hcas_core::lifecycle`), behind the package's
//! `LifecyclePolicy`, `transition`, `apply` and the table queries, with the
//! napi addon's names and shapes (bindings/node/src/lifecycle.rs).
//! Conversions only: statuses, parties and outcome kinds are the engine's
//! wire names, policy fields whole minutes.

use hcas_core::booking::Status;
use hcas_core::lifecycle::{self, LifecyclePolicy, Outcome, Party, TransitionRequest};
use hcas_core::{ErrorCode, Minutes};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::booking::{NativeBooking, NativeLedger};
use crate::typed::{instant, minutes};
use crate::{Result, error, js, number_field, to_plain};

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
            error(
                ErrorCode::InvalidRequest,
                format!(
                    "{name}: `{text}` is not a party; give one of {}",
                    Party::ALL.map(Party::as_str).join(", ")
                ),
            )
        })
}

/// The engine's policy from the wrapper's plain object (`undefined`: the
/// default), validated; `at` prefixes the field names in messages.
pub(crate) fn policy(p: &JsValue, at: &str) -> Result<LifecyclePolicy> {
    let mut out = LifecyclePolicy::new();
    let mins = |name: &str| -> Result<Option<Minutes>> {
        let path = format!("{at}{name}");
        number_field(p, name, &path, ErrorCode::InvalidDuration)?
            .map(|m| minutes(m, &path))
            .transpose()
    };
    if let Some(m) = mins("lateCancelMinutes")? {
        out = out.late_cancel(m);
    }
    if let Some(m) = mins("noshowGraceMinutes")? {
        out = out.noshow_grace(m);
    }
    if let Some(m) = mins("checkinOpensMinutes")? {
        out = out.checkin_opens(m);
    }
    js(out.validate())?;
    Ok(out)
}

/// Whole minutes as a JS number (policy fields are at most 366 days).
#[allow(clippy::cast_precision_loss)]
fn number(m: Minutes) -> f64 {
    m.get() as f64
}

/// A policy with every field filled in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyOut {
    late_cancel_minutes: f64,
    noshow_grace_minutes: f64,
    checkin_opens_minutes: f64,
}

/// The policy `options` describe, checked, with every field filled in.
#[wasm_bindgen(js_name = lifecyclePolicy)]
pub fn lifecycle_policy(options: &JsValue) -> Result<JsValue> {
    let p = policy(options, "policy.")?;
    to_plain(&PolicyOut {
        late_cancel_minutes: number(p.late_cancel_minutes),
        noshow_grace_minutes: number(p.noshow_grace_minutes),
        checkin_opens_minutes: number(p.checkin_opens_minutes),
    })
}

/// A consequence of a transition, as the package answers it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutcomeOut {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    minutes_before_start: Option<f64>,
}

/// Outcomes as the package answers them.
pub(crate) fn outcomes(items: &[Outcome]) -> Vec<OutcomeOut> {
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
            OutcomeOut {
                kind,
                minutes_before_start: before,
            }
        })
        .collect()
}

/// An allowed transition: the status before and after, and what follows.
#[derive(Serialize)]
struct TransitionedOut {
    from: &'static str,
    to: &'static str,
    outcomes: Vec<OutcomeOut>,
}

/// A transition as the plain `{ from, to, outcomes }`.
fn transitioned(t: &lifecycle::Transitioned) -> Result<JsValue> {
    to_plain(&TransitionedOut {
        from: t.from.as_str(),
        to: t.to.as_str(),
        outcomes: outcomes(&t.outcomes),
    })
}

/// A transition request from its parts.
fn request(
    to: &str,
    actor: &str,
    now: &JsValue,
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
/// under `policy`, and what follows; nothing is changed.
#[wasm_bindgen]
pub fn transition(
    booking: &NativeBooking,
    to: &str,
    actor: &str,
    now: &JsValue,
    reason: Option<String>,
    policy: &JsValue,
) -> Result<JsValue> {
    let req = request(to, actor, now, reason)?;
    let policy = self::policy(policy, "policy.")?;
    transitioned(&js(lifecycle::transition(&booking.0, &req, &policy))?)
}

/// `transition` for the booking `id` in `ledger`, then record the new
/// status; on any error the ledger is unchanged.
#[wasm_bindgen(js_name = applyTransition)]
#[allow(clippy::too_many_arguments)]
pub fn apply_transition(
    ledger: &mut NativeLedger,
    id: &str,
    to: &str,
    actor: &str,
    now: &JsValue,
    reason: Option<String>,
    policy: &JsValue,
) -> Result<JsValue> {
    let req = request(to, actor, now, reason)?;
    let policy = self::policy(policy, "policy.")?;
    transitioned(&js(lifecycle::apply(&mut ledger.0, id, &req, &policy))?)
}

/// The statuses `from` may legally move to, in the engine's table order.
#[wasm_bindgen(js_name = legalTargets)]
pub fn legal_targets(from: &str) -> Result<Vec<String>> {
    Ok(lifecycle::legal_targets(status(from, "from")?)
        .iter()
        .map(|s| s.as_str().to_string())
        .collect())
}

/// The parties allowed to move a booking from `from` to `to`, or `null`
/// when that change is not legal at all.
#[wasm_bindgen(js_name = allowedActors)]
pub fn allowed_actors(from: &str, to: &str) -> Result<JsValue> {
    let actors = lifecycle::allowed_actors(status(from, "from")?, status(to, "to")?)
        .map(|ps| ps.iter().map(|p| p.as_str()).collect::<Vec<_>>());
    to_plain(&actors)
}

/// Whether moving from `from` to `to` needs a non-blank reason.
#[wasm_bindgen(js_name = reasonRequired)]
pub fn reason_required(from: &str, to: &str) -> Result<bool> {
    Ok(lifecycle::reason_required(
        status(from, "from")?,
        status(to, "to")?,
    ))
}

/// Whether no change but `entered-in-error` leaves `status`.
#[wasm_bindgen(js_name = isTerminal)]
pub fn is_terminal(status: &str) -> Result<bool> {
    Ok(lifecycle::is_terminal(self::status(status, "status")?))
}
