//! The JSON shapes of `CONSENT.md`, parsed strictly: unknown fields are
//! refused, instants are strings parsed with their own error code, codes are
//! checked against the vocabulary, and every error names its field.
//!
//! Error codes: inside a consent everything is `invalid_consent`; in the
//! request and the policy `invalid_request`; a malformed instant anywhere is
//! `invalid_datetime` (as everywhere in hcas).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{
    Accessor, Action, Basis, BreakGlass, Category, Code, Consent, ConsentRequest, ConsentStatus,
    Decision, Effect, MAX_PROVISION_DEPTH, Match, Period, Provision, Purpose, Rights, Role,
    RolePolicy, consent_error,
};
use crate::error::{Error, ErrorCode, Result};
use crate::time::Timestamp;

fn shape<T: DeserializeOwned>(value: &Value, at: &str, code: ErrorCode) -> Result<T> {
    T::deserialize(value)
        .map_err(|e| Error::new(code, format!("does not have the documented shape: {e}")).at(at))
}

fn instant(text: &str, at: &str) -> Result<Timestamp> {
    Timestamp::parse(text).map_err(|e| e.at(at))
}

fn unknown<T: Code>(text: &str, at: &str, code: ErrorCode) -> Error {
    let known: Vec<&str> = T::ALL.iter().map(|c| c.code()).collect();
    Error::new(
        code,
        format!(
            "`{text}` is not {} (codes are case-sensitive: {})",
            T::WHAT,
            known.join(", ")
        ),
    )
    .at(at)
}

/// One code; `code` is the error code for an unknown one.
fn one_code<T: Code>(text: &str, at: &str, code: ErrorCode) -> Result<T> {
    T::from_code(text).ok_or_else(|| unknown::<T>(text, at, code))
}

/// A list of codes; `code` is the error code for an unknown one.
fn codes<T: Code>(list: &[String], at: &str, code: ErrorCode) -> Result<Vec<T>> {
    list.iter()
        .enumerate()
        .map(|(i, s)| one_code(s, &format!("{at}[{i}]"), code))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodJson {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

impl PeriodJson {
    fn build(&self, at: &str) -> Result<Period> {
        Ok(Period {
            start: self
                .start
                .as_deref()
                .map(|s| instant(s, &format!("{at}.start")))
                .transpose()?,
            end: self
                .end
                .as_deref()
                .map(|s| instant(s, &format!("{at}.end")))
                .transpose()?,
        })
    }
}

/// A scope or a provision (a scope must not have `provisions`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchJson {
    #[serde(default)]
    actors: Option<Vec<String>>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    orgs: Option<Vec<String>>,
    #[serde(default)]
    purposes: Option<Vec<String>>,
    #[serde(default)]
    categories: Option<Vec<String>>,
    #[serde(default)]
    actions: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    period: Option<PeriodJson>,
    #[serde(default)]
    data_period: Option<PeriodJson>,
    #[serde(default)]
    provisions: Option<Vec<Value>>,
}

impl MatchJson {
    fn build(&self, at: &str) -> Result<Match> {
        let c = ErrorCode::InvalidConsent;
        Ok(Match {
            actors: self.actors.clone(),
            roles: self
                .roles
                .as_ref()
                .map(|l| codes(l, &format!("{at}.roles"), c))
                .transpose()?,
            orgs: self.orgs.clone(),
            purposes: self
                .purposes
                .as_ref()
                .map(|l| codes(l, &format!("{at}.purposes"), c))
                .transpose()?,
            categories: self
                .categories
                .as_ref()
                .map(|l| codes(l, &format!("{at}.categories"), c))
                .transpose()?,
            actions: self
                .actions
                .as_ref()
                .map(|l| codes(l, &format!("{at}.actions"), c))
                .transpose()?,
            labels: self.labels.clone(),
            period: self
                .period
                .as_ref()
                .map(|p| p.build(&format!("{at}.period")))
                .transpose()?,
            data_period: self
                .data_period
                .as_ref()
                .map(|p| p.build(&format!("{at}.data_period")))
                .transpose()?,
        })
    }
}

fn scope(value: &Value, at: &str) -> Result<Match> {
    let m: MatchJson = shape(value, at, ErrorCode::InvalidConsent)?;
    if m.provisions.is_some() {
        return Err(consent_error(
            "a scope has no provisions (they belong to the consent or to a provision)",
        )
        .at(&format!("{at}.provisions")));
    }
    m.build(at)
}

fn provisions(list: Option<&Vec<Value>>, at: &str, depth: usize) -> Result<Vec<Provision>> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let at = format!("{at}.provisions");
    if list.is_empty() {
        return Err(consent_error(
            "an empty list of provisions; leave the field out when there are no exceptions \
             (lists in a consent have at least one entry, as in FHIR JSON)",
        )
        .at(&at));
    }
    if depth > MAX_PROVISION_DEPTH {
        return Err(consent_error(format!(
            "provisions nest more than {MAX_PROVISION_DEPTH} levels deep"
        ))
        .at(&at));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| provision(v, &format!("{at}[{i}]"), depth))
        .collect()
}

fn provision(value: &Value, at: &str, depth: usize) -> Result<Provision> {
    let m: MatchJson = shape(value, at, ErrorCode::InvalidConsent)?;
    Ok(Provision {
        when: m.build(at)?,
        provisions: provisions(m.provisions.as_ref(), at, depth + 1)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentJson {
    id: String,
    patient: String,
    status: String,
    date: String,
    #[serde(default)]
    period: Option<PeriodJson>,
    decision: String,
    #[serde(default)]
    scope: Option<Value>,
    #[serde(default)]
    provisions: Option<Vec<Value>>,
}

/// One consent, parsed but not yet validated.
pub(super) fn consent(value: &Value, at: &str) -> Result<Consent> {
    let c: ConsentJson = shape(value, at, ErrorCode::InvalidConsent)?;
    let status = ConsentStatus::parse(&c.status).ok_or_else(|| {
        consent_error(format!(
            "`{}` is not a status (active, inactive, draft, entered-in-error)",
            c.status
        ))
        .at(&format!("{at}.status"))
    })?;
    let decision = Effect::parse(&c.decision).ok_or_else(|| {
        consent_error(format!("`{}` is not a decision (permit, deny)", c.decision))
            .at(&format!("{at}.decision"))
    })?;
    Ok(Consent {
        id: c.id,
        patient: c.patient,
        status,
        date: instant(&c.date, &format!("{at}.date"))?,
        period: c
            .period
            .as_ref()
            .map(|p| p.build(&format!("{at}.period")))
            .transpose()?,
        decision,
        scope: match &c.scope {
            None | Some(Value::Null) => None,
            Some(s) => Some(scope(s, &format!("{at}.scope"))?),
        },
        provisions: provisions(c.provisions.as_ref(), at, 1)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RightsJson {
    categories: Vec<String>,
    actions: Vec<String>,
    purposes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    roles: BTreeMap<String, Value>,
}

/// Codes of a policy row; `"*"` anywhere in the list means all of them.
fn grant<T: Code>(list: &[String], at: &str) -> Result<Vec<T>> {
    if list.iter().any(|s| s == "*") {
        return Ok(T::ALL.to_vec());
    }
    codes(list, at, ErrorCode::InvalidRequest)
}

/// One row of a policy (`"*"` in a list: every code).
fn rights(value: &Value, at: &str) -> Result<Rights> {
    let row: RightsJson = shape(value, at, ErrorCode::InvalidRequest)?;
    Ok(Rights {
        categories: grant::<Category>(&row.categories, &format!("{at}.categories"))?,
        actions: grant::<Action>(&row.actions, &format!("{at}.actions"))?,
        purposes: grant::<Purpose>(&row.purposes, &format!("{at}.purposes"))?,
    })
}

/// A policy (role table).
pub(super) fn policy(value: &Value, at: &str) -> Result<RolePolicy> {
    let p: PolicyJson = shape(value, at, ErrorCode::InvalidRequest)?;
    let mut roles = BTreeMap::new();
    for (name, row) in &p.roles {
        let role: Role = one_code(name, &format!("{at}.roles"), ErrorCode::InvalidRequest)?;
        roles.insert(role, rights(row, &format!("{at}.roles.{name}"))?);
    }
    Ok(RolePolicy { roles })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActorJson {
    id: String,
    roles: Vec<String>,
    org: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakGlassJson {
    reason: String,
    started_at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestJson {
    actor: Value,
    patient: String,
    category: String,
    action: String,
    purpose: String,
    at: String,
    #[serde(default)]
    data_date: Option<String>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    originator: Option<String>,
    #[serde(default)]
    break_glass: Option<Value>,
}

/// An accessor, parsed but not yet validated.
fn accessor(value: &Value, at: &str) -> Result<Accessor> {
    let a: ActorJson = shape(value, at, ErrorCode::InvalidRequest)?;
    Ok(Accessor {
        id: a.id,
        roles: codes(&a.roles, &format!("{at}.roles"), ErrorCode::InvalidRequest)?,
        org: a.org,
    })
}

fn break_glass(value: &Value, at: &str) -> Result<BreakGlass> {
    let b: BreakGlassJson = shape(value, at, ErrorCode::InvalidRequest)?;
    Ok(BreakGlass {
        reason: b.reason,
        started_at: instant(&b.started_at, &format!("{at}.started_at"))?,
    })
}

/// A request, parsed but not yet validated.
pub(super) fn request(value: &Value, at: &str) -> Result<ConsentRequest> {
    let r: RequestJson = shape(value, at, ErrorCode::InvalidRequest)?;
    let f = |field: &str| format!("{at}.{field}");
    let break_glass = match &r.break_glass {
        None | Some(Value::Null) => None,
        Some(b) => Some(break_glass(b, &f("break_glass"))?),
    };
    Ok(ConsentRequest {
        actor: accessor(&r.actor, &f("actor"))?,
        patient: r.patient,
        category: one_code(&r.category, &f("category"), ErrorCode::InvalidRequest)?,
        action: one_code(&r.action, &f("action"), ErrorCode::InvalidRequest)?,
        purpose: one_code(&r.purpose, &f("purpose"), ErrorCode::InvalidRequest)?,
        at: instant(&r.at, &f("at"))?,
        data_date: r
            .data_date
            .as_deref()
            .map(|d| instant(d, &f("data_date")))
            .transpose()?,
        labels: r.labels.unwrap_or_default(),
        originator: r.originator,
        break_glass,
    })
}

/// A decision as the engine writes it (`CONSENT.md`), before its invariants
/// are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionJson {
    decision: Effect,
    basis: Basis,
    #[serde(default)]
    consent: Option<String>,
    obligations: Vec<String>,
    #[serde(default)]
    path: Vec<usize>,
}

fn decision(value: &Value, at: &str) -> Result<Decision> {
    let d: DecisionJson = shape(value, at, ErrorCode::InvalidRequest)?;
    let d = Decision {
        decision: d.decision,
        basis: d.basis,
        consent: d.consent,
        obligations: d.obligations,
        path: d.path,
    };
    d.validate()?;
    Ok(d)
}

macro_rules! try_from_value {
    ($t:ty, $name:literal, $parse:expr) => {
        impl TryFrom<Value> for $t {
            type Error = Error;
            fn try_from(value: Value) -> Result<Self> {
                $parse(&value, $name)
            }
        }
    };
}

try_from_value!(Consent, "consent", Consent::from_json);
try_from_value!(ConsentRequest, "request", ConsentRequest::from_json);
try_from_value!(RolePolicy, "policy", RolePolicy::from_json);
try_from_value!(Provision, "provision", |v: &Value, at: &str| {
    let p = provision(v, at, 1)?;
    p.validate_at(at, 1)?;
    Ok::<_, Error>(p)
});
try_from_value!(Match, "match", |v: &Value, at: &str| {
    let m = scope(v, at)?;
    m.validate_at(at)?;
    Ok::<_, Error>(m)
});
try_from_value!(Rights, "rights", rights);
try_from_value!(Accessor, "actor", |v: &Value, at: &str| {
    let a = accessor(v, at)?;
    a.validate_at(at)?;
    Ok::<_, Error>(a)
});
try_from_value!(BreakGlass, "break_glass", break_glass);
try_from_value!(Decision, "decision", decision);
try_from_value!(Period, "period", |v: &Value, at: &str| {
    let p = shape::<PeriodJson>(v, at, ErrorCode::InvalidConsent)?.build(at)?;
    p.validate_at(at)?;
    Ok::<_, Error>(p)
});
