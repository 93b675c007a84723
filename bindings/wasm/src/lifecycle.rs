//! The appointment lifecycle (`hcas_core::lifecycle`), behind the package's
//! `LifecyclePolicy`, `transition`, `apply` and the table queries, with the
//! napi addon's names and shapes. Argument extraction and error mapping
//! only: the parsing of statuses, parties and the policy, and the answers'
//! shapes, are `hcas_js_shapes::lifecycle`'s, shared with the napi addon.

use hcas_core::ErrorCode;
use hcas_core::booking::Status;
use hcas_core::lifecycle::{self, LifecyclePolicy, Party, TransitionRequest};
use hcas_js_shapes::lifecycle as shapes;
use wasm_bindgen::prelude::*;

use crate::booking::{NativeBooking, NativeLedger};
use crate::typed::instant;
use crate::{Result, js, number_field, to_js, to_plain};

/// A status wire name named `name`.
pub(crate) fn status(text: &str, name: &str) -> Result<Status> {
    js(shapes::status(text, name))
}

/// A party wire name named `name` (`patient`, `practitioner`, `staff`, `system`).
pub(crate) fn party(text: &str, name: &str) -> Result<Party> {
    js(shapes::party(text, name))
}

/// The engine's policy from the wrapper's plain object (`undefined`: the
/// default), validated; `at` prefixes the field names in messages.
pub(crate) fn policy(p: &JsValue, at: &str) -> Result<LifecyclePolicy> {
    shapes::policy(
        at,
        |name| number_field(p, name, &format!("{at}{name}"), ErrorCode::InvalidDuration),
        |e| to_js(&e),
    )
}

/// The policy `options` describe, checked, with every field filled in.
#[wasm_bindgen(js_name = lifecyclePolicy)]
pub fn lifecycle_policy(options: &JsValue) -> Result<JsValue> {
    to_plain(&shapes::policy_out(&policy(options, "policy.")?))
}

/// A transition as the plain `{ from, to, outcomes }`.
fn transitioned(t: &lifecycle::Transitioned) -> Result<JsValue> {
    to_plain(&shapes::transitioned(t))
}

/// A transition request from its parts.
fn request(
    to: &str,
    actor: &str,
    now: &JsValue,
    reason: Option<String>,
) -> Result<TransitionRequest> {
    shapes::request(to, actor, || instant(now, "now"), reason, |e| to_js(&e))
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
