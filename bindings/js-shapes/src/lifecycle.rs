//! The appointment lifecycle (`hcas_core::lifecycle`), as the packages'
//! `LifecyclePolicy`, `transition`, `apply` and the table queries take and
//! answer it: statuses, parties and outcome kinds are the engine's wire
//! names, policy fields whole minutes.

use hcas_core::booking::Status;
use hcas_core::lifecycle::{LifecyclePolicy, Outcome, Party, TransitionRequest, Transitioned};
use hcas_core::{Error, ErrorCode, Result, Timestamp};
use serde::Serialize;

use crate::time::{minutes, number};

/// A status wire name named `name`.
pub fn status(text: &str, name: &str) -> Result<Status> {
    Status::parse(text).map_err(|e| e.at(name))
}

/// A party wire name named `name` (`patient`, `practitioner`, `staff`, `system`).
pub fn party(text: &str, name: &str) -> Result<Party> {
    Party::ALL
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "{name}: `{text}` is not a party; give one of {}",
                    Party::ALL.map(Party::as_str).join(", ")
                ),
            )
        })
}

/// A transition request to status `to` by party `actor` at `now` (read
/// by the binding after `to` and `actor`, so the first bad argument is the
/// one named), with an optional `reason`; `err` maps this crate's errors.
pub fn request<E>(
    to: &str,
    actor: &str,
    now: impl FnOnce() -> std::result::Result<Timestamp, E>,
    reason: Option<String>,
    err: impl Fn(Error) -> E,
) -> std::result::Result<TransitionRequest, E> {
    let to = status(to, "to").map_err(&err)?;
    let actor = party(actor, "actor").map_err(&err)?;
    let mut r = TransitionRequest::new(to, actor, now()?);
    if let Some(reason) = reason {
        r = r.reason(reason);
    }
    Ok(r)
}

/// The package's names of the policy's fields, in the order they are read.
pub const POLICY_FIELDS: [&str; 3] = [
    "lateCancelMinutes",
    "noshowGraceMinutes",
    "checkinOpensMinutes",
];

/// The engine's policy, validated, from the fields `field` reads by their
/// package names (in [`POLICY_FIELDS`] order; `None`: the engine's default).
/// `at` prefixes the names in messages (`policy.`); `err` maps this crate's
/// errors to the caller's, so a binding's own errors from `field` (a field
/// that is not a number) pass through unchanged.
pub fn policy<E>(
    at: &str,
    mut field: impl FnMut(&str) -> std::result::Result<Option<f64>, E>,
    err: impl Fn(Error) -> E,
) -> std::result::Result<LifecyclePolicy, E> {
    let mut out = LifecyclePolicy::new();
    for name in POLICY_FIELDS {
        let Some(v) = field(name)? else { continue };
        let m = minutes(v, &format!("{at}{name}")).map_err(&err)?;
        out = match name {
            "lateCancelMinutes" => out.late_cancel(m),
            "noshowGraceMinutes" => out.noshow_grace(m),
            _ => out.checkin_opens(m),
        };
    }
    out.validate().map_err(&err)?;
    Ok(out)
}

/// A policy with every field filled in, as `lifecyclePolicy` answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyOut {
    /// A cancellation less than this long before the start is late.
    pub late_cancel_minutes: f64,
    /// A booked patient becomes a no-show this long after the start.
    pub noshow_grace_minutes: f64,
    /// Arrival and check-in open this long before the start.
    pub checkin_opens_minutes: f64,
}

/// A policy as the package answers it.
pub fn policy_out(p: &LifecyclePolicy) -> PolicyOut {
    PolicyOut {
        late_cancel_minutes: number(p.late_cancel_minutes),
        noshow_grace_minutes: number(p.noshow_grace_minutes),
        checkin_opens_minutes: number(p.checkin_opens_minutes),
    }
}

/// A consequence of a transition: its kind (`cancelled`,
/// `late_cancellation`, `no_show`, `slot_freed`) and, for a late
/// cancellation only, the whole minutes from `now` to the start.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeOut {
    /// The outcome's wire name (`unknown` for one this crate does not know).
    pub kind: &'static str,
    /// For `late_cancellation` only: minutes before the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_before_start: Option<f64>,
}

/// One outcome as the package answers it.
pub fn outcome(o: &Outcome) -> OutcomeOut {
    let (kind, minutes_before_start) = match o {
        Outcome::Cancelled => ("cancelled", None),
        Outcome::LateCancellation {
            minutes_before_start,
        } => ("late_cancellation", Some(number(*minutes_before_start))),
        Outcome::NoShow => ("no_show", None),
        Outcome::SlotFreed => ("slot_freed", None),
        // An outcome added to the engine before this crate knows it.
        _ => ("unknown", None),
    };
    OutcomeOut {
        kind,
        minutes_before_start,
    }
}

/// Outcomes as the package answers them, in the engine's order.
pub fn outcomes(items: &[Outcome]) -> Vec<OutcomeOut> {
    items.iter().map(outcome).collect()
}

/// An allowed transition: `{ from, to, outcomes }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionedOut {
    /// The status before.
    pub from: &'static str,
    /// The status after.
    pub to: &'static str,
    /// What follows, in the engine's order.
    pub outcomes: Vec<OutcomeOut>,
}

/// A transition as the package answers it.
pub fn transitioned(t: &Transitioned) -> TransitionedOut {
    TransitionedOut {
        from: t.from.as_str(),
        to: t.to.as_str(),
        outcomes: outcomes(&t.outcomes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcas_core::Minutes;
    use serde_json::json;

    fn none(_: &str) -> Result<Option<f64>> {
        Ok(None)
    }

    #[test]
    fn statuses_and_parties_are_wire_names() -> Result<()> {
        assert_eq!(status("booked", "to")?.as_str(), "booked");
        assert_eq!(
            status("entered-in-error", "to")?.as_str(),
            "entered-in-error"
        );
        let e = status("gone", "from").err();
        assert!(e.is_some_and(|e| e.message().starts_with("from")));
        assert_eq!(party("staff", "actor")?.as_str(), "staff");
        let e = party("boss", "actor").err();
        assert_eq!(e.as_ref().map(Error::code), Some(ErrorCode::InvalidRequest));
        assert_eq!(
            e.map(|e| e.message().to_string()).as_deref(),
            Some("actor: `boss` is not a party; give one of patient, practitioner, staff, system")
        );
        Ok(())
    }

    #[test]
    fn a_request_names_its_first_bad_argument() {
        let now = || Timestamp::from_unix(0);
        let to = request("gone", "nobody", now, None, |e| e).err();
        assert!(to.is_some_and(|e| e.message().starts_with("to")));
        let actor = request("cancelled", "nobody", now, None, |e| e).err();
        assert!(actor.is_some_and(|e| e.message().starts_with("actor: `nobody`")));
        let late = request(
            "cancelled",
            "staff",
            || Err(Error::new(ErrorCode::InvalidDatetime, "now: bad")),
            None,
            |e| e,
        )
        .err();
        assert_eq!(late.map(|e| e.code()), Some(ErrorCode::InvalidDatetime));
        assert!(request("cancelled", "staff", now, Some("ill".to_string()), |e| e).is_ok());
    }

    #[test]
    fn a_policy_without_fields_is_the_engines_default() -> Result<()> {
        // docs: late cancellation 1440 minutes (a day), no-show grace 15,
        // check-in opens 60 minutes before the start.
        let p = policy("policy.", none, |e| e)?;
        assert_eq!(
            serde_json::to_value(policy_out(&p)).ok(),
            Some(json!({
                "lateCancelMinutes": 1440.0,
                "noshowGraceMinutes": 15.0,
                "checkinOpensMinutes": 60.0,
            }))
        );
        Ok(())
    }

    #[test]
    fn policy_fields_are_read_in_order_and_checked() -> Result<()> {
        let mut read = Vec::new();
        let p = policy(
            "policy.",
            |name| {
                read.push(name.to_string());
                Ok::<_, Error>(match name {
                    "noshowGraceMinutes" => Some(30.0),
                    _ => None,
                })
            },
            |e| e,
        )?;
        assert_eq!(read, POLICY_FIELDS);
        assert_eq!(p.noshow_grace_minutes.get(), 30);
        assert_eq!(p.late_cancel_minutes.get(), 1440);
        let half = policy("policy.", |_| Ok(Some(1.5)), |e| e).err();
        assert_eq!(
            half.map(|e| e.message().to_string()).as_deref(),
            Some("policy.lateCancelMinutes: 1.5 is not a whole number of minutes")
        );
        // Negative minutes are whole but fail the engine's validation.
        let negative = policy(
            "policy.",
            |n| {
                Ok(Some(if n == "checkinOpensMinutes" {
                    -1.0
                } else {
                    5.0
                }))
            },
            |e| e,
        )
        .err();
        assert_eq!(negative.map(|e| e.code()), Some(ErrorCode::InvalidDuration));
        // The caller's own error comes back as it was.
        let own: std::result::Result<_, &str> = policy("p.", |_| Err("not a number"), |_| "engine");
        assert_eq!(own.err(), Some("not a number"));
        Ok(())
    }

    #[test]
    fn outcomes_name_their_kind_and_late_minutes() {
        let got = outcomes(&[
            Outcome::Cancelled,
            Outcome::LateCancellation {
                minutes_before_start: Minutes::new(90),
            },
            Outcome::SlotFreed,
            Outcome::NoShow,
        ]);
        assert_eq!(
            serde_json::to_value(&got).ok(),
            Some(json!([
                { "kind": "cancelled" },
                { "kind": "late_cancellation", "minutesBeforeStart": 90.0 },
                { "kind": "slot_freed" },
                { "kind": "no_show" },
            ]))
        );
        // Keys in the package's order: kind first.
        assert_eq!(
            serde_json::to_string(&got[1]).ok().as_deref(),
            Some(r#"{"kind":"late_cancellation","minutesBeforeStart":90.0}"#)
        );
    }
}
