//! Code systems: FHIR codings ⇄ hcas roles, purposes, actions, categories
//! and labels (the table "Code systems" of the module docs).

use super::*;

pub(super) fn role_from(system: &str, code: &str) -> Option<ActorRole> {
    if system == CS_PARTICIPATION && RECIPIENT_CODES.contains(&code) {
        return Some(ActorRole::Recipient);
    }
    ROLE_CODES
        .iter()
        .find(|(s, c, _)| *s == system && *c == code)
        .map(|&(_, _, r)| ActorRole::Role(r))
}

pub(super) fn role_coding(role: Role) -> (&'static str, &'static str) {
    ROLE_CODES
        .iter()
        .find(|(_, _, r)| *r == role)
        .map_or((CS_ROLE, role.as_str()), |&(s, c, _)| (s, c))
}

pub(super) fn purpose_from(system: &str, code: &str) -> Option<Purpose> {
    (system == CS_ACT_REASON)
        .then(|| Purpose::parse(code))
        .flatten()
}

pub(super) fn action_from(system: &str, code: &str) -> Option<Action> {
    match (system, code) {
        (CS_CONSENT_ACTION, "access") => Some(Action::Read),
        (CS_CONSENT_ACTION, "correct") => Some(Action::Write),
        _ => None,
    }
}

pub(super) const fn action_code(action: Action) -> &'static str {
    match action {
        Action::Read => "access",
        Action::Write => "correct",
    }
}

pub(super) fn category_from(system: &str, code: &str) -> Option<Category> {
    if system == CS_CATEGORY {
        Category::parse(code)
    } else if CS_RESOURCE_TYPES.contains(&system) && code == "Appointment" {
        Some(Category::Appointments)
    } else {
        None
    }
}

pub(super) fn label_from(system: &str, code: &str) -> Option<String> {
    let known = match system {
        CS_CONFIDENTIALITY => CONFIDENTIALITY.contains(&code),
        CS_ACT_CODE => SENSITIVITY.contains(&code),
        CS_LABEL => is_fhir_code(code),
        _ => false,
    };
    known.then(|| code.to_string())
}

/// The system hcas writes a label with.
pub(super) fn label_system(label: &str) -> &'static str {
    if CONFIDENTIALITY.contains(&label) {
        CS_CONFIDENTIALITY
    } else if SENSITIVITY.contains(&label) {
        CS_ACT_CODE
    } else {
        CS_LABEL
    }
}

/// Whether `s` is a FHIR `code`: no leading, trailing or repeated whitespace,
/// and no whitespace but single spaces.
pub(super) fn is_fhir_code(s: &str) -> bool {
    !s.is_empty()
        && s.split(' ')
            .all(|part| !part.is_empty() && !part.chars().any(char::is_whitespace))
}

/// `(system, code)` of a `Coding`; both required.
pub(super) fn coding<'a>(v: &'a Value, path: &str) -> Result<(&'a str, &'a str)> {
    let o = object(v, path)?;
    check_keys(o, CODING_ELEMENTS, path)?;
    let system = string(o, "system", path)?.ok_or_else(|| {
        invalid(
            &field(path, "system"),
            "is required: hcas reads codes by system and code",
        )
    })?;
    let code = required(string(o, "code", path)?, path, "code")?;
    Ok((system, code))
}

/// One `Coding` read by `read`.
pub(super) fn coded<T>(
    v: &Value,
    path: &str,
    read: impl Fn(&str, &str) -> Option<T>,
    expected: &str,
) -> Result<T> {
    let (system, code) = coding(v, path)?;
    read(system, code).ok_or_else(|| invalid(path, format!("`{system}|{code}` is not {expected}")))
}

/// The one meaning of a `CodeableConcept`: its codings are translations, so
/// the ones `read` knows must agree, others are ignored, and one must be known.
pub(super) fn concept<T: Copy + PartialEq>(
    v: &Value,
    path: &str,
    read: impl Fn(&str, &str) -> Option<T>,
    expected: &str,
) -> Result<T> {
    let o = object(v, path)?;
    check_keys(o, CODEABLE_CONCEPT_ELEMENTS, path)?;
    let mut found: Option<(T, usize)> = None;
    let mut seen = Vec::new();
    for (i, c) in list(o, "coding", path)?.iter().enumerate() {
        let cp = format!("{path}.coding[{i}]");
        let (system, code) = coding(c, &cp)?;
        seen.push(format!("`{system}|{code}`"));
        if let Some(t) = read(system, code) {
            match found {
                Some((prev, j)) if prev != t => {
                    return Err(invalid(
                        &cp,
                        format!(
                            "`{system}|{code}` contradicts coding[{j}]; the codings of one \
                             concept are translations of one meaning"
                        ),
                    ));
                }
                Some(_) => {}
                None => found = Some((t, i)),
            }
        }
    }
    found.map(|(t, _)| t).ok_or_else(|| {
        let got = if seen.is_empty() {
            "no coding".to_string()
        } else {
            seen.join(", ")
        };
        invalid(path, format!("{got}: expected {expected}"))
    })
}
