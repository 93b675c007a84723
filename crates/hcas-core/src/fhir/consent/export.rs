//! hcas [`Consent`] → FHIR R4 and R5 `Consent` JSON.

use super::*;

/// The FHIR R4 `Consent` for an hcas consent (see the module docs).
///
/// # Errors
/// The consent's own validation errors ([`Consent::validate`]); and
/// `invalid_request` naming the hcas field for what R4 cannot carry: a
/// `scope.period` (R4's one root period is the consent's `period`), an empty
/// `scope` or period, a provision with both `actors` and `orgs`, a repeated
/// role, actor or organisation, an id that is not a FHIR id, a label that is
/// not a FHIR code; `invalid_datetime` for an instant outside the years
/// 0001-9999.
///
/// ```
/// use hcas_core::consent::{Consent, Match, Period, Provision, Role};
/// use hcas_core::fhir::{consent_from_fhir_r4, consent_to_fhir_r4};
/// let t = |s: &str| s.parse().unwrap();
/// // Opt out, except for doctors, until the end of 2025.
/// let consent = Consent::deny("C2", "P1", t("2025-03-01T00:00:00Z"))
///     .with_period(Period::until(t("2026-01-01T00:00:00Z")))
///     .with_provision(Provision::new(Match::any().with_role(Role::Doctor)));
/// let r4 = consent_to_fhir_r4(&consent).unwrap();
/// assert_eq!(r4["provision"]["period"]["end"], "2026-01-01T00:00:00Z");
/// assert_eq!(r4["provision"]["provision"][0]["actor"][0]["role"]["coding"][0]["code"], "doctor");
/// assert_eq!(consent_from_fhir_r4(&r4).unwrap(), consent);
/// ```
pub fn consent_to_fhir_r4(consent: &Consent) -> Result<Value> {
    let ver = Version::R4;
    let mut out = header(consent)?;
    out.insert(
        "scope".into(),
        json!({ "coding": [{ "system": CS_CONSENT_SCOPE, "code": "patient-privacy" }] }),
    );
    out.insert("category".into(), consent_category());
    out.insert("patient".into(), patient_reference(consent)?);
    out.insert(
        "dateTime".into(),
        instant_text(consent.date, "date")?.into(),
    );
    let mut root = match &consent.scope {
        None => Match::default(),
        Some(s) => {
            check_scope(s)?;
            if s.period.is_some() {
                return Err(invalid(
                    "scope.period",
                    "R4 has one period for the consent, the root provision's, and it carries the \
                     consent's `period`; a scope period means the same (when the access \
                     happens), so move it there (or intersect the two)",
                ));
            }
            s.clone()
        }
    };
    if let Some(orgs) = root.orgs.take() {
        let refs = orgs
            .iter()
            .enumerate()
            .map(|(i, org)| {
                check_id(org, &format!("scope.orgs[{i}]"))?;
                Ok(json!({ "reference": format!("Organization/{org}") }))
            })
            .collect::<Result<Vec<_>>>()?;
        out.insert("organization".into(), refs.into());
    }
    out.insert(
        "policyRule".into(),
        json!({ "coding": [{
            "system": CS_ACT_CODE,
            "code": if consent.decision == Effect::Permit { "OPTIN" } else { "OPTOUT" },
        }] }),
    );
    let mut provision = match_to(&root, "scope", ver)?;
    provision.insert("type".into(), consent.decision.as_str().into());
    if let Some(p) = &consent.period {
        provision.insert("period".into(), period_to(p, "period")?);
    }
    let children = provisions_to(&consent.provisions, "", ver, consent.decision)?;
    if !children.is_empty() {
        provision.insert("provision".into(), children.into());
    }
    out.insert("provision".into(), Value::Object(provision));
    Ok(Value::Object(out))
}

/// The FHIR R5 `Consent` for an hcas consent (see the module docs).
///
/// # Errors
/// The consent's own validation errors ([`Consent::validate`]); and
/// `invalid_request` naming the hcas field for what R5 cannot carry: an empty
/// `scope` or period, a provision with no condition and no exception, a
/// provision with both `actors` and `orgs`, a repeated role, actor or
/// organisation in a provision, an id that is not a FHIR id, a label that is
/// not a FHIR code; `invalid_datetime` for an instant outside the years
/// 0001-9999.
///
/// ```
/// use hcas_core::consent::{Consent, Match, Provision};
/// use hcas_core::fhir::{consent_from_fhir_r5, consent_to_fhir_r5, EXT_DATE_TIME};
/// let consent = Consent::deny("C3", "P1", "2025-03-01T09:30:00Z".parse().unwrap())
///     .with_provision(Provision::new(Match::any().with_actor("Mum")));
/// let r5 = consent_to_fhir_r5(&consent).unwrap();
/// assert_eq!(r5["decision"], "deny");
/// assert_eq!(r5["provision"][0]["actor"][0]["reference"]["reference"], "Practitioner/Mum");
/// // R5 `date` is a day; the time of day rides in an extension.
/// assert_eq!((&r5["date"], &r5["extension"][0]["url"]), (&"2025-03-01".into(), &EXT_DATE_TIME.into()));
/// assert_eq!(consent_from_fhir_r5(&r5).unwrap(), consent);
/// ```
pub fn consent_to_fhir_r5(consent: &Consent) -> Result<Value> {
    let ver = Version::R5;
    let mut out = header(consent)?;
    if let Some(s) = &consent.scope {
        out.insert("modifierExtension".into(), json!([scope_to_extension(s)?]));
    }
    let text = instant_text(consent.date, "date")?;
    let day = text.get(..10).unwrap_or(&text).to_string();
    if consent.date.unix().rem_euclid(86_400) != 0 {
        out.insert(
            "extension".into(),
            json!([{ "url": EXT_DATE_TIME, "valueDateTime": text }]),
        );
    }
    out.insert("category".into(), consent_category());
    out.insert("subject".into(), patient_reference(consent)?);
    out.insert("date".into(), day.into());
    if let Some(p) = &consent.period {
        out.insert("period".into(), period_to(p, "period")?);
    }
    out.insert("decision".into(), consent.decision.as_str().into());
    let children = provisions_to(&consent.provisions, "", ver, consent.decision)?;
    if !children.is_empty() {
        out.insert("provision".into(), children.into());
    }
    Ok(Value::Object(out))
}

/// `resourceType`, `id`, `status`, after validating the consent.
pub(super) fn header(consent: &Consent) -> Result<Map<String, Value>> {
    consent.validate()?;
    check_id(&consent.id, "id")?;
    let mut out = Map::new();
    out.insert("resourceType".into(), "Consent".into());
    out.insert("id".into(), consent.id.clone().into());
    out.insert("status".into(), consent.status.as_str().into());
    Ok(out)
}

pub(super) fn consent_category() -> Value {
    json!([{ "coding": [{ "system": LOINC, "code": LOINC_PATIENT_CONSENT }] }])
}

pub(super) fn patient_reference(consent: &Consent) -> Result<Value> {
    check_id(&consent.patient, "patient")?;
    Ok(json!({ "reference": format!("Patient/{}", consent.patient) }))
}

pub(super) fn check_scope(scope: &Match) -> Result<()> {
    if *scope == Match::default() {
        return Err(invalid(
            "scope",
            "is empty: a scope that always holds has no FHIR form (FHIR elements are never \
             empty); leave it out, which means the same",
        ));
    }
    Ok(())
}

/// The provisions under a parent of effect `parent`; `path` names the parent
/// (`""` for the consent).
pub(super) fn provisions_to(
    list: &[Provision],
    path: &str,
    ver: Version,
    parent: Effect,
) -> Result<Vec<Value>> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let at = if path.is_empty() {
                format!("provisions[{i}]")
            } else {
                format!("{path}.provisions[{i}]")
            };
            provision_to(p, &at, ver, parent.flip())
        })
        .collect()
}

pub(super) fn provision_to(p: &Provision, path: &str, ver: Version, own: Effect) -> Result<Value> {
    let mut o = match_to(&p.when, path, ver)?;
    if ver == Version::R4 {
        o.insert("type".into(), own.as_str().into());
    }
    let children = provisions_to(&p.provisions, path, ver, own)?;
    if !children.is_empty() {
        o.insert("provision".into(), children.into());
    }
    if o.is_empty() {
        return Err(invalid(
            path,
            "has no condition and no exception of its own: an R5 provision cannot be empty \
             (an exception that always applies is the opposite decision)",
        ));
    }
    Ok(Value::Object(o))
}

/// The provision elements of a match; `path` names it (`scope`, `provisions[0]`).
pub(super) fn match_to(m: &Match, path: &str, ver: Version) -> Result<Map<String, Value>> {
    let mut o = Map::new();
    if let Some(p) = &m.period {
        o.insert("period".into(), period_to(p, &field(path, "period"))?);
    }
    if let Some(actors) = actors_to(m, path, ver)? {
        o.insert("actor".into(), actors.into());
    }
    if let Some(actions) = &m.actions {
        let v: Vec<Value> = actions.iter().map(|&a| action_concept(a)).collect();
        o.insert("action".into(), v.into());
    }
    if let Some(labels) = &m.labels {
        let v = labels
            .iter()
            .enumerate()
            .map(|(i, l)| label_coding(l, &format!("{path}.labels[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        o.insert("securityLabel".into(), v.into());
    }
    if let Some(purposes) = &m.purposes {
        let v: Vec<Value> = purposes.iter().map(|&p| purpose_coding(p)).collect();
        o.insert("purpose".into(), v.into());
    }
    if let Some(categories) = &m.categories {
        let v: Vec<Value> = categories.iter().map(|&c| category_coding(c)).collect();
        let key = ver.category_elements().first().copied().unwrap_or("class");
        o.insert(key.into(), v.into());
    }
    if let Some(p) = &m.data_period {
        o.insert(
            "dataPeriod".into(),
            period_to(p, &field(path, "data_period"))?,
        );
    }
    Ok(o)
}

/// The `actor` list of a match: every combination of its roles with its
/// actors or organisations.
pub(super) fn actors_to(m: &Match, path: &str, ver: Version) -> Result<Option<Vec<Value>>> {
    let refs: Option<(&str, &Vec<String>, &str)> = match (&m.actors, &m.orgs) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                &field(path, "orgs"),
                "hcas requires both the actor and the organisation to match, while a FHIR actor \
                 list means any of its actors, and one actor references either a Practitioner \
                 or an Organization; this cannot be written (name the actors alone, or split \
                 the consent)",
            ));
        }
        (Some(a), None) => Some(("Practitioner", a, "actors")),
        (None, Some(o)) => Some(("Organization", o, "orgs")),
        (None, None) => None,
    };
    if m.roles.is_none() && refs.is_none() {
        return Ok(None);
    }
    if let Some(roles) = &m.roles {
        no_repeats(roles, &field(path, "roles"))?;
    }
    let references: Vec<Option<Value>> = match refs {
        None => vec![None],
        Some((ty, ids, name)) => {
            let at = field(path, name);
            no_repeats(ids, &at)?;
            ids.iter()
                .enumerate()
                .map(|(i, id)| {
                    check_id(id, &format!("{at}[{i}]"))?;
                    Ok(Some(json!({ "reference": format!("{ty}/{id}") })))
                })
                .collect::<Result<_>>()?
        }
    };
    let roles: Vec<Option<Role>> = m
        .roles
        .as_ref()
        .map_or_else(|| vec![None], |r| r.iter().copied().map(Some).collect());
    let mut out = Vec::with_capacity(roles.len() * references.len());
    for role in &roles {
        for reference in &references {
            let mut e = Map::new();
            match role {
                Some(r) => {
                    e.insert("role".into(), role_concept(*r));
                }
                None if ver == Version::R4 => {
                    e.insert(
                        "role".into(),
                        json!({ "coding": [{ "system": CS_PARTICIPATION, "code": "PRCP" }] }),
                    );
                }
                None => {}
            }
            match reference {
                Some(r) => {
                    e.insert("reference".into(), r.clone());
                }
                None if ver == Version::R4 => {
                    e.insert("reference".into(), json!({ "display": ANYONE }));
                }
                None => {}
            }
            out.push(Value::Object(e));
        }
    }
    Ok(Some(out))
}

pub(super) fn no_repeats<T: PartialEq>(list: &[T], path: &str) -> Result<()> {
    for (i, x) in list.iter().enumerate() {
        if let Some(j) = list[..i].iter().position(|y| y == x) {
            return Err(invalid(
                &format!("{path}[{i}]"),
                format!(
                    "repeats {path}[{j}]: the FHIR actor list would name the combination twice, \
                     and it would read back once"
                ),
            ));
        }
    }
    Ok(())
}

/// The R5 modifier extension carrying an hcas scope.
pub(super) fn scope_to_extension(s: &Match) -> Result<Value> {
    check_scope(s)?;
    let mut subs = Vec::new();
    let mut refs = |list: &Option<Vec<String>>, name: &str, url: &str, ty: &str| -> Result<()> {
        for (i, id) in list.iter().flatten().enumerate() {
            check_id(id, &format!("scope.{name}[{i}]"))?;
            subs.push(
                json!({ "url": url, "valueReference": { "reference": format!("{ty}/{id}") } }),
            );
        }
        Ok(())
    };
    refs(&s.actors, "actors", "actor", "Practitioner")?;
    refs(&s.orgs, "orgs", "organization", "Organization")?;
    for &r in s.roles.iter().flatten() {
        subs.push(json!({ "url": "role", "valueCodeableConcept": role_concept(r) }));
    }
    for &p in s.purposes.iter().flatten() {
        subs.push(json!({ "url": "purpose", "valueCoding": purpose_coding(p) }));
    }
    for &c in s.categories.iter().flatten() {
        subs.push(json!({ "url": "category", "valueCoding": category_coding(c) }));
    }
    for &a in s.actions.iter().flatten() {
        subs.push(json!({ "url": "action", "valueCodeableConcept": action_concept(a) }));
    }
    for (i, l) in s.labels.iter().flatten().enumerate() {
        let coding = label_coding(l, &format!("scope.labels[{i}]"))?;
        subs.push(json!({ "url": "securityLabel", "valueCoding": coding }));
    }
    if let Some(p) = &s.period {
        subs.push(json!({ "url": "period", "valuePeriod": period_to(p, "scope.period")? }));
    }
    if let Some(p) = &s.data_period {
        subs.push(
            json!({ "url": "dataPeriod", "valuePeriod": period_to(p, "scope.data_period")? }),
        );
    }
    Ok(json!({ "url": EXT_SCOPE, "extension": subs }))
}

pub(super) fn role_concept(role: Role) -> Value {
    let (system, code) = role_coding(role);
    json!({ "coding": [{ "system": system, "code": code }] })
}

pub(super) fn action_concept(action: Action) -> Value {
    json!({ "coding": [{ "system": CS_CONSENT_ACTION, "code": action_code(action) }] })
}

pub(super) fn purpose_coding(purpose: Purpose) -> Value {
    json!({ "system": CS_ACT_REASON, "code": purpose.as_str() })
}

pub(super) fn category_coding(category: Category) -> Value {
    json!({ "system": CS_CATEGORY, "code": category.as_str() })
}

pub(super) fn label_coding(label: &str, path: &str) -> Result<Value> {
    if !is_fhir_code(label) {
        return Err(invalid(
            path,
            format!(
                "`{label}` is not a FHIR code (no leading, trailing or repeated whitespace, and \
                 no whitespace but single spaces)"
            ),
        ));
    }
    Ok(json!({ "system": label_system(label), "code": label }))
}

pub(super) fn period_to(p: &Period, path: &str) -> Result<Value> {
    let mut o = Map::new();
    if let Some(s) = p.start {
        o.insert(
            "start".into(),
            instant_text(s, &field(path, "start"))?.into(),
        );
    }
    if let Some(e) = p.end {
        o.insert("end".into(), instant_text(e, &field(path, "end"))?.into());
    }
    if o.is_empty() {
        return Err(invalid(
            path,
            "is unbounded: it has no FHIR form (FHIR elements are never empty); leave it out, \
             which means the same",
        ));
    }
    Ok(Value::Object(o))
}
