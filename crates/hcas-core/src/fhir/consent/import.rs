//! FHIR `Consent` JSON → hcas [`Consent`]: the resource, its status, date,
//! scope and provisions (R4 and R5).

use super::*;

/// The hcas consent an R4 `Consent` describes (see the module docs for the mapping).
///
/// # Errors
/// `invalid_request` naming the JSON path (e.g. `provision.provision[0].type`)
/// for anything hcas cannot represent; `invalid_datetime` for a malformed
/// date; `invalid_consent` for a period whose end is not after its start.
///
/// ```
/// use hcas_core::consent::{Consent, Match, Provision, Purpose};
/// use hcas_core::fhir::consent_from_fhir_r4;
/// let c = consent_from_fhir_r4(&serde_json::json!({
///     "resourceType": "Consent", "id": "C1", "status": "active",
///     "scope": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/consentscope",
///                              "code": "patient-privacy" } ] },
///     "category": [ { "coding": [ { "system": "http://loinc.org", "code": "59284-0" } ] } ],
///     "patient": { "reference": "Patient/P1" }, "dateTime": "2025-03-01",
///     "provision": { "type": "permit", "provision": [ { "type": "deny",
///         "purpose": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HMARKT" } ] } ] }
/// })).unwrap();
/// let expected = Consent::permit("C1", "P1", "2025-03-01T00:00:00Z".parse().unwrap())
///     .with_provision(Provision::new(Match::any().with_purpose(Purpose::Hmarkt)));
/// assert_eq!(c, expected);
/// ```
pub fn consent_from_fhir_r4(value: &Value) -> Result<Consent> {
    let ver = Version::R4;
    let o = resource(value, ver)?;
    let id = resource_id(o)?;
    let status = status(o, ver)?;
    consent_scope(o)?;
    let patient = patient(o, "patient")?;
    let text = string(o, "dateTime", "")?.ok_or_else(|| {
        invalid(
            "dateTime",
            "is required: hcas orders a patient's consents by date",
        )
    })?;
    let date = fhir_instant(text, "dateTime", Bound::Start, false)?;
    let (decision, mut scope, provisions) = match o.get("provision") {
        None => (policy_rule_decision(o)?, Match::default(), Vec::new()),
        Some(p) => {
            let path = "provision";
            let po = object(p, path)?;
            refuse_unmatchable(po, path, ver)?;
            check_keys(po, R4_PROVISION, path)?;
            let decision = string(po, "type", path)?
                .map(|t| effect(t, "provision.type"))
                .transpose()?;
            // What the provisions say is checked first: it is what an
            // unrepresentable consent most likely gets wrong.
            let scope = match_from(po, path, ver, true)?;
            let provisions = provisions_from(
                po,
                path,
                Level {
                    ver,
                    effect: decision,
                    depth: 1,
                },
            )?;
            let decision = decision.ok_or_else(|| {
                invalid(
                    "provision.type",
                    "is required: hcas reads the consent's decision from the root provision's \
                     type. Without it, R4 leaves open whether the root provision is the \
                     consent's own rule or an exception to policyRule, and the two readings \
                     give opposite decisions",
                )
            })?;
            (decision, scope, provisions)
        }
    };
    let period = scope.period.take();
    let orgs = list(o, "organization", "")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let path = format!("organization[{i}]");
            match who(v, &path)? {
                Who::Org(id) => Ok(id),
                _ => Err(invalid(
                    &path,
                    "must reference an Organization (Organization/ID): hcas reads the \
                     organisations the consent applies to from it",
                )),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    if !orgs.is_empty() {
        scope.orgs = Some(orgs);
    }
    finish(Consent {
        id,
        patient,
        status,
        date,
        period,
        decision,
        scope: (scope != Match::default()).then_some(scope),
        provisions,
    })
}

/// The hcas consent an R5 `Consent` describes (see the module docs for the mapping).
///
/// # Errors
/// `invalid_request` naming the JSON path (e.g. `provision[0].actor[1].role`)
/// for anything hcas cannot represent; `invalid_datetime` for a malformed
/// date; `invalid_consent` for a period whose end is not after its start.
///
/// ```
/// use hcas_core::consent::{Consent, Match, Provision, Role};
/// use hcas_core::fhir::consent_from_fhir_r5;
/// let c = consent_from_fhir_r5(&serde_json::json!({
///     "resourceType": "Consent", "id": "C2", "status": "active",
///     "subject": { "reference": "Patient/P1" }, "date": "2025-03-01", "decision": "deny",
///     "provision": [ { "actor": [ { "role": { "coding": [ {
///         "system": "http://terminology.hl7.org/CodeSystem/practitioner-role", "code": "doctor" } ] } } ] } ]
/// })).unwrap();
/// let expected = Consent::deny("C2", "P1", "2025-03-01T00:00:00Z".parse().unwrap())
///     .with_provision(Provision::new(Match::any().with_role(Role::Doctor)));
/// assert_eq!(c, expected);
/// ```
pub fn consent_from_fhir_r5(value: &Value) -> Result<Consent> {
    let ver = Version::R5;
    let o = resource(value, ver)?;
    let id = resource_id(o)?;
    let status = status(o, ver)?;
    let patient = patient(o, "subject")?;
    let date = r5_date(o)?;
    let period = o.get("period").map(|p| period(p, "period")).transpose()?;
    let text = string(o, "decision", "")?.ok_or_else(|| {
        invalid(
            "decision",
            "is required: it is the consent's base effect, which its provisions are exceptions to",
        )
    })?;
    let decision = effect(text, "decision")?;
    let scope = scope_extension(o)?;
    let provisions = provisions_from(
        o,
        "",
        Level {
            ver,
            effect: Some(decision),
            depth: 1,
        },
    )?;
    finish(Consent {
        id,
        patient,
        status,
        date,
        period,
        decision,
        scope,
        provisions,
    })
}

/// The consent, validated (the import has checked everything already; this
/// keeps the promise that only valid consents come out).
pub(super) fn finish(consent: Consent) -> Result<Consent> {
    consent.validate()?;
    Ok(consent)
}

pub(super) fn status(o: &Map<String, Value>, ver: Version) -> Result<ConsentStatus> {
    let code = string(o, "status", "")?.ok_or_else(|| invalid("status", "is required"))?;
    match ver.statuses().iter().find(|(c, _, _)| *c == code) {
        Some((_, Some(s), _)) => Ok(*s),
        Some((_, None, why)) => Err(invalid(
            "status",
            format!(
                "`{code}` has no hcas equivalent ({why}); hcas has draft, active, inactive and \
                 entered-in-error"
            ),
        )),
        None => Err(invalid(
            "status",
            format!(
                "`{code}` is not an {} Consent status ({})",
                ver.name(),
                ver.statuses()
                    .iter()
                    .map(|(c, _, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// R4 `scope`: required, and `patient-privacy`.
pub(super) fn consent_scope(o: &Map<String, Value>) -> Result<()> {
    let v = o.get("scope").ok_or_else(|| {
        invalid(
            "scope",
            "is required in R4 (consentscope patient-privacy for the consents hcas models)",
        )
    })?;
    concept(
        v,
        "scope",
        |system, code| (system == CS_CONSENT_SCOPE && code == "patient-privacy").then_some(()),
        "consentscope patient-privacy: hcas models privacy consents (who may access data); \
         research, treatment and advance-directive consents are other kinds of consent",
    )
}

/// R4 without a provision: the decision is the policy rule.
pub(super) fn policy_rule_decision(o: &Map<String, Value>) -> Result<Effect> {
    let Some(v) = o.get("policyRule") else {
        return Err(invalid(
            "provision",
            "is required: hcas reads the consent's decision from the root provision's type \
             (or, with no provision at all, from policyRule OPTIN or OPTOUT)",
        ));
    };
    concept(
        v,
        "policyRule",
        |system, code| match (system, code) {
            (CS_ACT_CODE, "OPTIN" | "OPTINR") => Some(Effect::Permit),
            (CS_ACT_CODE, "OPTOUT" | "OPTOUTE") => Some(Effect::Deny),
            _ => None,
        },
        "v3-ActCode OPTIN, OPTINR (permit) or OPTOUT, OPTOUTE (deny): with no provision, the \
         policy rule is the consent's decision",
    )
}

/// `permit` or `deny`.
pub(super) fn effect(text: &str, path: &str) -> Result<Effect> {
    Effect::parse(text)
        .ok_or_else(|| invalid(path, format!("`{text}` is not a decision (permit, deny)")))
}

/// R5 `date`, made exact by [`EXT_DATE_TIME`] when present.
pub(super) fn r5_date(o: &Map<String, Value>) -> Result<Timestamp> {
    let text = string(o, "date", "")?.ok_or_else(|| {
        invalid(
            "date",
            "is required: hcas orders a patient's consents by date",
        )
    })?;
    let day = fhir_instant(text, "date", Bound::Start, true)?;
    let mut exact: Option<(Timestamp, String)> = None;
    for (i, e) in list(o, "extension", "")?.iter().enumerate() {
        let path = format!("extension[{i}]");
        let eo = object(e, &path)?;
        let url = required(string(eo, "url", &path)?, &path, "url")?;
        if url == EXT_SCOPE {
            return Err(invalid(
                &field(&path, "url"),
                "the hcas scope changes what the consent means, so it must be a \
                 modifierExtension",
            ));
        }
        if url != EXT_DATE_TIME {
            continue; // a plain extension cannot change meaning
        }
        check_keys(eo, &["id", "url", "valueDateTime"], &path)?;
        if exact.is_some() {
            return Err(invalid(
                &path,
                format!("a second `{EXT_DATE_TIME}` extension; it may appear only once"),
            ));
        }
        let at = field(&path, "valueDateTime");
        let value = required(string(eo, "valueDateTime", &path)?, &path, "valueDateTime")?;
        let t = Timestamp::parse(value).map_err(|e| e.at(&at))?;
        exact = Some((t, at));
    }
    let Some((t, at)) = exact else {
        return Ok(day);
    };
    let utc_day = t.naive_utc().date().format("%Y-%m-%d").to_string();
    if utc_day != text {
        return Err(invalid(
            &at,
            format!("{t} is not on the day `{text}` that `date` gives (days are UTC)"),
        ));
    }
    Ok(t)
}

/// The hcas scope of an R5 consent, from its modifier extension.
pub(super) fn scope_extension(o: &Map<String, Value>) -> Result<Option<Match>> {
    let mut scope = None;
    for (i, e) in list(o, "modifierExtension", "")?.iter().enumerate() {
        let path = format!("modifierExtension[{i}]");
        let eo = object(e, &path)?;
        let url = required(string(eo, "url", &path)?, &path, "url")?;
        if url != EXT_SCOPE {
            return Err(invalid(
                &field(&path, "url"),
                format!(
                    "`{url}` is a modifier extension hcas does not understand, and FHIR requires \
                     a reader that does not understand one to refuse the resource (hcas \
                     understands only {EXT_SCOPE})"
                ),
            ));
        }
        if scope.is_some() {
            return Err(invalid(
                &path,
                "a second scope extension; a consent has one scope",
            ));
        }
        scope = Some(scope_from_extension(eo, &path)?);
    }
    Ok(scope)
}

pub(super) fn scope_from_extension(eo: &Map<String, Value>, path: &str) -> Result<Match> {
    check_keys(eo, &["id", "url", "extension"], path)?;
    let subs = list(eo, "extension", path)?;
    if subs.is_empty() {
        return Err(invalid(
            path,
            "names no condition; a scope that always holds is written as no scope at all",
        ));
    }
    let mut m = Match::default();
    for (j, s) in subs.iter().enumerate() {
        let sp = format!("{path}.extension[{j}]");
        let so = object(s, &sp)?;
        let url = required(string(so, "url", &sp)?, &sp, "url")?;
        let value_key = match url {
            "actor" | "organization" => "valueReference",
            "role" | "action" => "valueCodeableConcept",
            "purpose" | "category" | "securityLabel" => "valueCoding",
            "period" | "dataPeriod" => "valuePeriod",
            other => {
                return Err(invalid(
                    &field(&sp, "url"),
                    format!(
                        "`{other}` is not a part of the hcas scope (actor, role, organization, \
                         purpose, category, action, securityLabel, period, dataPeriod)"
                    ),
                ));
            }
        };
        check_keys(so, &["id", "url", value_key], &sp)?;
        let vp = field(&sp, value_key);
        let v = required(so.get(value_key), &sp, value_key)?;
        match url {
            "actor" => match who(v, &vp)? {
                Who::Actor(id) => push(&mut m.actors, id),
                _ => {
                    return Err(invalid(
                        &vp,
                        "must reference a Practitioner (Practitioner/ID)",
                    ));
                }
            },
            "organization" => match who(v, &vp)? {
                Who::Org(id) => push(&mut m.orgs, id),
                _ => {
                    return Err(invalid(
                        &vp,
                        "must reference an Organization (Organization/ID)",
                    ));
                }
            },
            "role" => match concept(v, &vp, role_from, ROLE_EXPECTED)? {
                ActorRole::Role(r) => push(&mut m.roles, r),
                ActorRole::Recipient => {
                    return Err(invalid(
                        &vp,
                        "PRCP and IRCP name no role; the scope's role must be an hcas role",
                    ));
                }
            },
            "action" => push(
                &mut m.actions,
                concept(v, &vp, action_from, ACTION_EXPECTED)?,
            ),
            "purpose" => push(
                &mut m.purposes,
                coded(v, &vp, purpose_from, PURPOSE_EXPECTED)?,
            ),
            "category" => push(
                &mut m.categories,
                coded(v, &vp, category_from, CATEGORY_EXPECTED)?,
            ),
            "securityLabel" => push(&mut m.labels, coded(v, &vp, label_from, LABEL_EXPECTED)?),
            "period" => once(&mut m.period, period(v, &vp)?, &sp)?,
            _ => once(&mut m.data_period, period(v, &vp)?, &sp)?,
        }
    }
    Ok(m)
}

pub(super) fn push<T>(list: &mut Option<Vec<T>>, value: T) {
    list.get_or_insert_with(Vec::new).push(value);
}

pub(super) fn once<T>(slot: &mut Option<T>, value: T, path: &str) -> Result<()> {
    if slot.is_some() {
        return Err(invalid(
            path,
            "a second period of the same kind; the scope has at most one",
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// `data` and `expression` name particular resources or computed sets: hcas
/// consents govern categories of data.
pub(super) fn refuse_unmatchable(o: &Map<String, Value>, path: &str, ver: Version) -> Result<()> {
    if o.contains_key("data") {
        return Err(invalid(
            &field(path, "data"),
            "hcas consents govern categories of data, not particular resources; a provision \
             about given resources cannot be represented",
        ));
    }
    if ver == Version::R5 && o.contains_key("expression") {
        return Err(invalid(
            &field(path, "expression"),
            "hcas does not evaluate expressions; a provision selected by one cannot be \
             represented",
        ));
    }
    Ok(())
}

/// Where a list of provisions sits in the tree: the FHIR version, the effect
/// of their parent (of the provision itself, for [`provision_from`]; unknown
/// while a missing R4 root type is still to be reported), and the hcas depth
/// of the list (the consent's own is 1).
#[derive(Debug, Clone, Copy)]
pub(super) struct Level {
    pub(super) ver: Version,
    pub(super) effect: Option<Effect>,
    pub(super) depth: usize,
}

/// The provisions nested in `o` (at `path`), each with the opposite effect of
/// `parent` (unknown while a missing R4 root type is still to be reported);
/// `depth` is the hcas depth of the list (the consent's own is 1).
pub(super) fn provisions_from(
    o: &Map<String, Value>,
    path: &str,
    parent: Level,
) -> Result<Vec<Provision>> {
    let Level { ver, effect, depth } = parent;
    let items = list(o, "provision", path)?;
    let lp = field(path, "provision");
    if !items.is_empty() && depth > MAX_PROVISION_DEPTH {
        return Err(invalid(
            &lp,
            format!("provisions nest more than {MAX_PROVISION_DEPTH} levels deep"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let own = Level {
                ver,
                effect: effect.map(Effect::flip),
                depth,
            };
            provision_from(v, &format!("{lp}[{i}]"), own)
        })
        .collect()
}

pub(super) fn provision_from(v: &Value, path: &str, level: Level) -> Result<Provision> {
    let Level {
        ver,
        effect: own,
        depth,
    } = level;
    let o = object(v, path)?;
    refuse_unmatchable(o, path, ver)?;
    check_keys(o, ver.provision_elements(), path)?;
    let when = match_from(o, path, ver, false)?;
    let provisions = provisions_from(
        o,
        path,
        Level {
            depth: depth + 1,
            ..level
        },
    )?;
    if ver == Version::R4
        && let Some(t) = string(o, "type", path)?
    {
        let tp = field(path, "type");
        let t = effect(t, &tp)?;
        if let Some(own) = own
            && t != own
        {
            return Err(invalid(
                &tp,
                format!(
                    "is {t} under a {}: in hcas every exception has the opposite effect of its \
                     parent, so a nested provision with its parent's type cannot be represented",
                    own.flip()
                ),
            ));
        }
    }
    if ver == Version::R5 && when == Match::default() && provisions.is_empty() {
        return Err(invalid(
            path,
            "has no condition and no exception of its own: an R5 provision cannot be empty, and \
             an exception that always applies is the opposite decision",
        ));
    }
    Ok(Provision { when, provisions })
}

/// The conditions of a provision (or of R4's root provision, `root`).
pub(super) fn match_from(
    o: &Map<String, Value>,
    path: &str,
    ver: Version,
    root: bool,
) -> Result<Match> {
    let actors = actors_from(o, path, ver, root)?;
    Ok(Match {
        actors: actors.actors,
        roles: actors.roles,
        orgs: actors.orgs,
        purposes: codings(o, "purpose", path, purpose_from, PURPOSE_EXPECTED)?,
        categories: categories_from(o, path, ver)?,
        actions: concepts(o, "action", path, action_from, ACTION_EXPECTED)?,
        labels: codings(o, "securityLabel", path, label_from, LABEL_EXPECTED)?,
        period: o
            .get("period")
            .map(|p| period(p, &field(path, "period")))
            .transpose()?,
        data_period: o
            .get("dataPeriod")
            .map(|p| period(p, &field(path, "dataPeriod")))
            .transpose()?,
    })
}

/// A list of `Coding`s, each read by `read`.
pub(super) fn codings<T>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    read: impl Fn(&str, &str) -> Option<T> + Copy,
    expected: &str,
) -> Result<Option<Vec<T>>> {
    each(o, key, path, |v, p| coded(v, p, read, expected))
}

/// A list of `CodeableConcept`s, each read by `read`.
pub(super) fn concepts<T: Copy + PartialEq>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    read: impl Fn(&str, &str) -> Option<T> + Copy,
    expected: &str,
) -> Result<Option<Vec<T>>> {
    each(o, key, path, |v, p| concept(v, p, read, expected))
}

/// Every item of the list `o[key]` read by `read` (with its path), or `None`
/// for an absent list.
pub(super) fn each<T>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    read: impl Fn(&Value, &str) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    let items = list(o, key, path)?;
    if items.is_empty() {
        return Ok(None);
    }
    let lp = field(path, key);
    items
        .iter()
        .enumerate()
        .map(|(i, v)| read(v, &format!("{lp}[{i}]")))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The data categories of a provision, from whichever one category element it has.
pub(super) fn categories_from(
    o: &Map<String, Value>,
    path: &str,
    ver: Version,
) -> Result<Option<Vec<Category>>> {
    let mut found: Option<(&str, Vec<Category>)> = None;
    for &key in ver.category_elements() {
        let items = list(o, key, path)?;
        if items.is_empty() {
            continue;
        }
        if let Some((prev, _)) = &found {
            return Err(invalid(
                &field(path, key),
                format!(
                    "`{prev}` already lists this provision's data categories; hcas has one list \
                     of categories (any of them), while two FHIR elements would both have to \
                     hold. Put every category in `{prev}`"
                ),
            ));
        }
        let cats = if key == "code" {
            concepts(o, key, path, category_from, CATEGORY_EXPECTED)?
        } else {
            codings(o, key, path, category_from, CATEGORY_EXPECTED)?
        };
        found = cats.map(|c| (key, c));
    }
    Ok(found.map(|(_, c)| c))
}

/// What an actor's `role` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ActorRole {
    /// `PRCP`, `IRCP`: the recipient, i.e. who accesses the data.
    Recipient,
    /// An hcas role.
    Role(Role),
}

/// Whom a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Who {
    /// `Practitioner/ID`: an hcas actor id.
    Actor(String),
    /// `Organization/ID`: an hcas organisation.
    Org(String),
    /// A reference with only a `display`: no one in particular.
    Anyone,
}

impl Who {
    const fn kind(&self) -> &'static str {
        match self {
            Self::Actor(_) => "a Practitioner",
            Self::Org(_) => "an Organization",
            Self::Anyone => "no one in particular",
        }
    }
}

#[derive(Default)]
pub(super) struct Actors {
    roles: Option<Vec<Role>>,
    actors: Option<Vec<String>>,
    orgs: Option<Vec<String>>,
}

/// `roles`, `actors` and `orgs` from an `actor` list, which must be every
/// combination of some roles with some references (see the module docs).
pub(super) fn actors_from(
    o: &Map<String, Value>,
    path: &str,
    ver: Version,
    root: bool,
) -> Result<Actors> {
    let items = list(o, "actor", path)?;
    let lp = field(path, "actor");
    let mut entries: Vec<(Option<Role>, Who)> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let ep = format!("{lp}[{i}]");
        let (role, who) = actor_entry(v, &ep, ver)?;
        if root && matches!(who, Who::Org(_)) {
            return Err(invalid(
                &field(&ep, "reference"),
                "an Organization in the root provision: hcas reads the organisations an R4 \
                 consent applies to from Consent.organization (put it there)",
            ));
        }
        if let Some((first_role, first_who)) = entries.first() {
            if first_role.is_some() != role.is_some() {
                return Err(invalid(
                    &field(&ep, "role"),
                    format!(
                        "actor[0] {} an hcas role and this one {}: an actor list means any of \
                         them, while hcas matches roles and actors separately (all must hold), \
                         so one list cannot mix the two",
                        if first_role.is_some() {
                            "has"
                        } else {
                            "has no"
                        },
                        if role.is_some() { "has" } else { "has none" },
                    ),
                ));
            }
            if std::mem::discriminant(first_who) != std::mem::discriminant(&who) {
                return Err(invalid(
                    &field(&ep, "reference"),
                    format!(
                        "actor[0] names {} and this one {}: an actor list means any of them, \
                         while hcas matches actors and organisations separately (all must \
                         hold), so one list cannot mix them",
                        first_who.kind(),
                        who.kind()
                    ),
                ));
            }
        }
        if let Some(j) = entries.iter().position(|e| *e == (role, who.clone())) {
            return Err(invalid(&ep, format!("repeats actor[{j}]")));
        }
        entries.push((role, who));
    }
    if entries.is_empty() {
        return Ok(Actors::default());
    }
    let mut roles: Vec<Option<Role>> = Vec::new();
    let mut whos: Vec<&Who> = Vec::new();
    for (r, w) in &entries {
        if !roles.contains(r) {
            roles.push(*r);
        }
        if !whos.contains(&w) {
            whos.push(w);
        }
    }
    if entries.len() != roles.len() * whos.len() {
        return Err(invalid(
            &lp,
            format!(
                "is not every combination of its {} role(s) and {} reference(s) ({} actors \
                 instead of {}): an actor list means any of them, while hcas matches roles and \
                 actors (or organisations) separately, all of them; write each role with each \
                 reference, or split the provision",
                roles.len(),
                whos.len(),
                entries.len(),
                roles.len() * whos.len()
            ),
        ));
    }
    let roles: Option<Vec<Role>> = roles.into_iter().collect();
    let mut out = Actors {
        roles,
        ..Actors::default()
    };
    for w in whos {
        match w {
            Who::Actor(id) => push(&mut out.actors, id.clone()),
            Who::Org(id) => push(&mut out.orgs, id.clone()),
            Who::Anyone => {}
        }
    }
    Ok(out)
}

/// One `actor`: its hcas role (none for the recipient) and whom it references.
pub(super) fn actor_entry(v: &Value, path: &str, ver: Version) -> Result<(Option<Role>, Who)> {
    let o = object(v, path)?;
    check_keys(o, ACTOR_ELEMENTS, path)?;
    let role = match o.get("role") {
        None if ver == Version::R4 => {
            return Err(invalid(&field(path, "role"), "is required in R4"));
        }
        None => None,
        Some(r) => match concept(r, &field(path, "role"), role_from, ROLE_EXPECTED)? {
            ActorRole::Role(role) => Some(role),
            ActorRole::Recipient => None,
        },
    };
    let who = match o.get("reference") {
        None if ver == Version::R4 => {
            return Err(invalid(
                &field(path, "reference"),
                format!(
                    "is required in R4 (a reference with only a display, e.g. `{ANYONE}`, \
                     names no one in particular next to an hcas role)"
                ),
            ));
        }
        None => Who::Anyone,
        Some(r) => who(r, &field(path, "reference"))?,
    };
    if role.is_none() && who == Who::Anyone {
        return Err(invalid(
            path,
            "names no one hcas can match: give a Practitioner or Organization reference, or an \
             hcas role",
        ));
    }
    Ok((role, who))
}

/// Whom a `Reference` names: `Practitioner/ID`, `Organization/ID`, or (only a
/// `display`) no one in particular.
pub(super) fn who(v: &Value, path: &str) -> Result<Who> {
    let o = object(v, path)?;
    check_keys(o, REFERENCE_ELEMENTS, path)?;
    let at = field(path, "reference");
    let Some(reference) = string(o, "reference", path)? else {
        if o.contains_key("identifier") {
            return Err(invalid(
                &field(path, "identifier"),
                "hcas cannot resolve identifiers; reference the Practitioner or Organization \
                 as Type/id",
            ));
        }
        if string(o, "display", path)?.is_none() {
            return Err(invalid(
                &at,
                "is required (or a display alone, for no one in particular)",
            ));
        }
        return Ok(Who::Anyone);
    };
    let (ty, id) = relative_reference(reference, &at)?;
    let who = match ty {
        "Practitioner" => Who::Actor(id.to_string()),
        "Organization" => Who::Org(id.to_string()),
        other => {
            return Err(invalid(
                &at,
                format!(
                    "`{other}` references cannot be represented: hcas actor ids carry no type, \
                     so hcas writes actors as Practitioner/ID and organisations as \
                     Organization/ID, and a {other} would not read back as itself"
                ),
            ));
        }
    };
    if let Some(t) = string(o, "type", path)?
        && t != ty
    {
        return Err(invalid(
            &field(path, "type"),
            format!("`{t}` contradicts the reference `{reference}`"),
        ));
    }
    Ok(who)
}

/// `Type/id` of a relative reference, the id a FHIR id.
pub(super) fn relative_reference<'a>(reference: &'a str, at: &str) -> Result<(&'a str, &'a str)> {
    if reference.starts_with('#') || reference.contains(':') {
        return Err(invalid(
            at,
            format!(
                "`{reference}` is not a relative reference Type/id; absolute, urn: and \
                 contained references are not supported"
            ),
        ));
    }
    let Some((ty, id)) = reference.split_once('/') else {
        return Err(invalid(
            at,
            format!("`{reference}` is not a relative reference Type/id"),
        ));
    };
    if id.contains('/') {
        return Err(invalid(
            at,
            format!("`{reference}`: versioned references (`_history`) are not supported"),
        ));
    }
    check_id(id, at)?;
    Ok((ty, id))
}

/// The patient id of `o[key]`, a reference `Patient/ID`.
pub(super) fn patient(o: &Map<String, Value>, key: &str) -> Result<String> {
    let v = o.get(key).ok_or_else(|| {
        invalid(
            key,
            "is required: hcas consents are a patient's (Patient/ID)",
        )
    })?;
    let ro = object(v, key)?;
    check_keys(ro, REFERENCE_ELEMENTS, key)?;
    let at = field(key, "reference");
    let reference = string(ro, "reference", key)?.ok_or_else(|| {
        invalid(
            &at,
            "is required: hcas identifies the patient by reference (Patient/ID)",
        )
    })?;
    let (ty, id) = relative_reference(reference, &at)?;
    if ty != "Patient" {
        return Err(invalid(
            &at,
            format!("`{reference}`: hcas consents are a patient's; expected Patient/ID"),
        ));
    }
    if let Some(t) = string(ro, "type", key)?
        && t != "Patient"
    {
        return Err(invalid(
            &field(key, "type"),
            format!("`{t}` contradicts the reference `{reference}`"),
        ));
    }
    Ok(id.to_string())
}
