//! FHIR R4 `AuditEvent` (export only): one record of hcas's audit log as
//! the resource an auditor's FHIR tools read. The server hands the
//! record's fields over as [`AuditFacts`] (plain values); the codes are
//! R4's (checked against the R4 code systems):
//!
//! | hcas | FHIR R4 |
//! |---|---|
//! | sequence number | `id` |
//! | `at` | `recorded` (an instant, `Z`) |
//! | a patient's data touched | `type` DICOM `110110` "Patient Record"; else audit-event-type `rest` "RESTful Operation" |
//! | `action` (`patient.read`): its verb, see [`AuditAction::of`] | `action` (`C`, `R`, `U`, `D`, `E`) and `subtype` (restful-interaction `create`, `read`, `update`, `delete`, `search-type`, `operation`) |
//! | `outcome` `permit`/`ok`, `deny`, `error`, else | `outcome` `0`, `4`, `8`, `12`; `outcomeDesc` says why when not `0` |
//! | `actor` and its roles | `agent[0]`: `who` = `Patient/<id>` (a patient), else an identifier ([`ACTOR_SYSTEM`]) typed `Practitioner` (doctor, nurse, admin) or `Device` (no role); `role` ([`ROLE_SYSTEM`]); `requestor` true |
//! | the server, the organization | `source`: `observer` "hcas", `site` the organization, `type` security-source-type `4` "Application Server" |
//! | `target` (`booking:a1`) | `entity[0].what`: `Appointment/a1` (`patient:` Patient, `consent:` Consent, `provider:` Practitioner, `audit:` AuditEvent), else an identifier ([`TARGET_SYSTEM`]) |
//! | `patient` | an `entity` `Patient/<id>`, type `1` Person, role `1` Patient (the target entity itself when it is the patient) |
//! | the decision's basis, category, consent, obligations, ... | `entity[0].detail[]` (`type`, `valueString`) |
//! | `purpose` | `purposeOfEvent[0]` (v3-ActReason: `TREAT`, `ETREAT`, `HOPERAT`, ...) |
//!
//! ```
//! use hcas_core::fhir::{AuditFacts, audit_event_to_fhir};
//! let facts = AuditFacts {
//!     id: "42".into(),
//!     recorded: "2026-05-04T09:00:00Z".parse().unwrap(),
//!     actor: "D1".into(),
//!     roles: vec!["doctor".into()],
//!     action: "patient.read".into(),
//!     target: "patient:X1".into(),
//!     patient: Some("X1".into()),
//!     purpose: Some("TREAT".into()),
//!     outcome: "permit".into(),
//!     details: vec![("basis".into(), "consent".into())],
//!     site: Some("org-a".into()),
//! };
//! let e = audit_event_to_fhir(&facts).unwrap();
//! assert_eq!(e["type"]["code"], "110110");
//! assert_eq!((e["action"].as_str(), e["outcome"].as_str()), (Some("R"), Some("0")));
//! assert_eq!(e["entity"][0]["what"]["reference"], "Patient/X1");
//! assert_eq!(e["agent"][0]["who"]["identifier"]["value"], "D1");
//! ```

use super::*;

/// DICOM's code system (`type` `110110` "Patient Record").
pub const DICOM_SYSTEM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// R4's audit event types (`type` `rest` "RESTful Operation").
pub const AUDIT_EVENT_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
/// R4's RESTful interactions (`subtype`).
pub const RESTFUL_INTERACTION_SYSTEM: &str = "http://hl7.org/fhir/restful-interaction";
/// The purposes of use (v3 `ActReason`: `TREAT`, ...).
pub const PURPOSE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/// hcas roles (`doctor`, `nurse`, `admin`, `patient`, `researcher`) in `agent.role`.
pub const ROLE_SYSTEM: &str = "https://hcas.dev/fhir/CodeSystem/role";
/// The identifier system of hcas actors (a token's subject) in `agent.who`.
pub const ACTOR_SYSTEM: &str = "https://hcas.dev/fhir/sid/actor";
/// The identifier system of hcas targets without a FHIR type (`series:s1`).
pub const TARGET_SYSTEM: &str = "https://hcas.dev/fhir/sid/target";
const ENTITY_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const SOURCE_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";

/// `type` of an event that touched a patient's data: DICOM `110110`.
pub const TYPE_PATIENT_RECORD: &str = "110110";
/// `type` of any other event: audit-event-type `rest`.
pub const TYPE_REST: &str = "rest";

/// hcas target kinds and the FHIR resource types they name.
const TARGET_TYPES: [(&str, &str); 5] = [
    ("audit", "AuditEvent"),
    ("booking", "Appointment"),
    ("patient", "Patient"),
    ("consent", "Consent"),
    ("provider", "Practitioner"),
];

/// One audit record's fields, as [`audit_event_to_fhir`] maps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFacts {
    /// The resource id (the record's sequence number).
    pub id: String,
    /// When it happened.
    pub recorded: Timestamp,
    /// Who (a token's subject).
    pub actor: String,
    /// The actor's roles (`doctor`, `patient`, ...), as recorded.
    pub roles: Vec<String>,
    /// What was done (`patient.read`, `appointment.book`, ...).
    pub action: String,
    /// What it was done to (`booking:a1`, `patient:X1`, ...).
    pub target: String,
    /// The patient whose data it touched, if any.
    pub patient: Option<String>,
    /// The purpose of use (`TREAT`, ...), if recorded.
    pub purpose: Option<String>,
    /// `permit`, `deny`, `ok`, `error`.
    pub outcome: String,
    /// The decision's basis and the rest of the record's detail, as text
    /// (`basis`, `category`, `consent`, ...), in order.
    pub details: Vec<(String, String)>,
    /// The organization whose log it is.
    pub site: Option<String>,
}

/// `AuditEvent.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `C`: create.
    Create,
    /// `R`: read, view, print.
    Read,
    /// `U`: update.
    Update,
    /// `D`: delete.
    Delete,
    /// `E`: execute (a search, a query, any other operation).
    Execute,
}

/// Each verb hcas records (the last `.`-part of an action), its action and
/// restful-interaction; a verb not listed is `E` / `operation`.
const VERBS: &[(&str, AuditAction, &str)] = &[
    ("book", AuditAction::Create, "create"),
    ("register", AuditAction::Create, "create"),
    ("add", AuditAction::Create, "create"),
    ("grant", AuditAction::Create, "create"),
    ("hold", AuditAction::Create, "create"),
    ("create", AuditAction::Create, "create"),
    ("read", AuditAction::Read, "read"),
    ("ics", AuditAction::Read, "read"),
    ("id", AuditAction::Read, "read"),
    ("update", AuditAction::Update, "update"),
    ("reschedule", AuditAction::Update, "update"),
    ("confirm", AuditAction::Update, "update"),
    ("cancel", AuditAction::Update, "update"),
    ("complete", AuditAction::Update, "update"),
    ("check-in", AuditAction::Update, "update"),
    ("no-show", AuditAction::Update, "update"),
    ("shift", AuditAction::Update, "update"),
    ("offer", AuditAction::Update, "update"),
    ("revoke", AuditAction::Update, "update"),
    ("remove", AuditAction::Delete, "delete"),
    ("delete", AuditAction::Delete, "delete"),
    ("search", AuditAction::Execute, "search-type"),
    ("find", AuditAction::Execute, "search-type"),
    ("list", AuditAction::Execute, "search-type"),
];

/// The verb of an hcas action: its last `.`-part (`read` of `patient.read`).
#[must_use]
pub fn verb(action: &str) -> &str {
    action.rsplit_once('.').map_or(action, |(_, v)| v)
}

impl AuditAction {
    /// Every action.
    pub const ALL: [Self; 5] = [
        Self::Create,
        Self::Read,
        Self::Update,
        Self::Delete,
        Self::Execute,
    ];

    /// The R4 code (`C`, `R`, `U`, `D`, `E`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Create => "C",
            Self::Read => "R",
            Self::Update => "U",
            Self::Delete => "D",
            Self::Execute => "E",
        }
    }

    /// The action of an R4 code, if it is one.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// The action of an hcas action (`appointment.book`: `C`), by its verb.
    #[must_use]
    pub fn of(action: &str) -> Self {
        let v = verb(action);
        VERBS
            .iter()
            .find(|(name, _, _)| *name == v)
            .map_or(Self::Execute, |(_, a, _)| *a)
    }

    /// The verbs listed for this action. `E` is also every verb not listed
    /// for another action (see [`AuditAction::others`]).
    #[must_use]
    pub fn verbs(self) -> Vec<&'static str> {
        VERBS
            .iter()
            .filter(|(_, a, _)| *a == self)
            .map(|(v, _, _)| *v)
            .collect()
    }

    /// The verbs listed for the other actions: an event is `E` exactly
    /// when its verb is none of [`AuditAction::Execute`]'s `others()`.
    #[must_use]
    pub fn others(self) -> Vec<&'static str> {
        VERBS
            .iter()
            .filter(|(_, a, _)| *a != self)
            .map(|(v, _, _)| *v)
            .collect()
    }
}

/// The restful-interaction code of an hcas action (`subtype`).
fn interaction(action: &str) -> &'static str {
    let v = verb(action);
    VERBS
        .iter()
        .find(|(name, _, _)| *name == v)
        .map_or("operation", |(_, _, i)| *i)
}

/// The R4 `outcome` of an hcas outcome: `permit`/`ok` `0` (success),
/// `deny` `4` (minor failure: refused), `error` `8` (serious failure),
/// anything else `12` (major failure).
#[must_use]
pub fn audit_outcome(outcome: &str) -> &'static str {
    match outcome {
        "permit" | "ok" => "0",
        "deny" => "4",
        "error" => "8",
        _ => "12",
    }
}

/// The hcas outcomes of an R4 `outcome` code (`None`: not a code; `12`,
/// every other outcome, is not searchable as a list and answers `None`).
#[must_use]
pub fn outcomes_of(code: &str) -> Option<&'static [&'static str]> {
    match code {
        "0" => Some(&["permit", "ok"]),
        "4" => Some(&["deny"]),
        "8" => Some(&["error"]),
        _ => None,
    }
}

/// The FHIR reference (`Appointment`, `a1`) of an hcas target
/// (`booking:a1`), if its kind has a FHIR type and its id is a FHIR id.
#[must_use]
pub fn target_reference(target: &str) -> Option<(&'static str, &str)> {
    let (kind, id) = target.split_once(':')?;
    let ty = TARGET_TYPES.iter().find(|(k, _)| *k == kind)?.1;
    is_fhir_id(id).then_some((ty, id))
}

/// The hcas target of a FHIR reference (`Appointment`, `a1`: `booking:a1`),
/// if the type is one a target can have.
#[must_use]
pub fn target_of(ty: &str, id: &str) -> Option<String> {
    TARGET_TYPES
        .iter()
        .find(|(_, t)| *t == ty)
        .map(|(k, _)| format!("{k}:{id}"))
}

fn coding(system: &str, code: &str, display: Option<&str>) -> Value {
    let mut c = json!({ "system": system, "code": code });
    if let Some(d) = display {
        c["display"] = json!(d);
    }
    c
}

/// `agent[0].who`: a patient as `Patient/<id>`, anyone else as an identifier.
fn who(f: &AuditFacts) -> Value {
    let has = |r: &str| f.roles.iter().any(|x| x == r);
    if has("patient") && is_fhir_id(&f.actor) {
        return json!({ "reference": format!("Patient/{}", f.actor) });
    }
    let ty = if f.roles.is_empty() {
        "Device"
    } else {
        "Practitioner"
    };
    json!({
        "type": ty,
        "identifier": { "system": ACTOR_SYSTEM, "value": f.actor },
    })
}

/// The record `f` as an R4 `AuditEvent` (see the module's table).
///
/// # Errors
/// `invalid_request` naming the field when `id` is not a FHIR id or a
/// text field is empty (FHIR strings are never empty).
pub fn audit_event_to_fhir(f: &AuditFacts) -> Result<Value> {
    check_id(&f.id, "id")?;
    for (name, value) in [
        ("actor", &f.actor),
        ("action", &f.action),
        ("target", &f.target),
        ("outcome", &f.outcome),
    ] {
        if value.is_empty() {
            return Err(invalid(name, "must not be empty"));
        }
    }
    let action = AuditAction::of(&f.action);
    let ty = if f.patient.is_some() {
        coding(DICOM_SYSTEM, TYPE_PATIENT_RECORD, Some("Patient Record"))
    } else {
        coding(
            AUDIT_EVENT_TYPE_SYSTEM,
            TYPE_REST,
            Some("RESTful Operation"),
        )
    };
    let mut agent = json!({ "who": who(f), "requestor": true });
    let roles: Vec<Value> = f
        .roles
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| json!({ "coding": [coding(ROLE_SYSTEM, r, None)] }))
        .collect();
    if !roles.is_empty() {
        agent["role"] = Value::Array(roles);
    }
    let mut source = json!({
        "observer": { "display": "hcas" },
        "type": [coding(SOURCE_TYPE_SYSTEM, "4", Some("Application Server"))],
    });
    if let Some(site) = f.site.as_deref().filter(|s| !s.is_empty()) {
        source["site"] = json!(site);
    }
    let patient_target = f
        .patient
        .as_deref()
        .is_some_and(|p| f.target == format!("patient:{p}"));
    let what = match target_reference(&f.target) {
        Some((t, id)) => json!({ "reference": format!("{t}/{id}") }),
        None => json!({ "identifier": { "system": TARGET_SYSTEM, "value": f.target } }),
    };
    let (etype, erole) = if patient_target {
        (
            coding(ENTITY_TYPE_SYSTEM, "1", Some("Person")),
            coding(OBJECT_ROLE_SYSTEM, "1", Some("Patient")),
        )
    } else {
        (
            coding(ENTITY_TYPE_SYSTEM, "2", Some("System Object")),
            coding(OBJECT_ROLE_SYSTEM, "4", Some("Domain Resource")),
        )
    };
    let mut target = json!({ "what": what, "type": etype, "role": erole });
    let details: Vec<Value> = f
        .details
        .iter()
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .map(|(k, v)| json!({ "type": k, "valueString": v }))
        .collect();
    if !details.is_empty() {
        target["detail"] = Value::Array(details);
    }
    let mut entity = vec![target];
    if let Some(p) = f.patient.as_deref().filter(|_| !patient_target) {
        let what = if is_fhir_id(p) {
            json!({ "reference": format!("Patient/{p}") })
        } else {
            json!({ "identifier": { "system": TARGET_SYSTEM, "value": format!("patient:{p}") } })
        };
        entity.push(json!({
            "what": what,
            "type": coding(ENTITY_TYPE_SYSTEM, "1", Some("Person")),
            "role": coding(OBJECT_ROLE_SYSTEM, "1", Some("Patient")),
        }));
    }
    let outcome = audit_outcome(&f.outcome);
    let mut out = json!({
        "resourceType": "AuditEvent",
        "id": f.id,
        "type": ty,
        "subtype": [coding(RESTFUL_INTERACTION_SYSTEM, interaction(&f.action), None)],
        "action": action.code(),
        "recorded": instant_text(f.recorded, "recorded")?,
        "outcome": outcome,
        "agent": [agent],
        "source": source,
        "entity": entity,
    });
    if outcome != "0" {
        let basis = f
            .details
            .iter()
            .find(|(k, _)| k == "basis")
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty());
        out["outcomeDesc"] = json!(match basis {
            Some(b) => format!("{} `{}` (basis: {b})", f.outcome, f.action),
            None => format!("{} `{}`", f.outcome, f.action),
        });
    }
    if let Some(p) = f.purpose.as_deref().filter(|p| !p.is_empty()) {
        out["purposeOfEvent"] = json!([{ "coding": [coding(PURPOSE_SYSTEM, p, None)] }]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn facts() -> AuditFacts {
        AuditFacts {
            id: "7".into(),
            recorded: "2026-05-04T09:00:00Z".parse().unwrap(),
            actor: "D1".into(),
            roles: vec!["doctor".into()],
            action: "appointment.book".into(),
            target: "booking:a1".into(),
            patient: Some("X1".into()),
            purpose: Some("TREAT".into()),
            outcome: "permit".into(),
            details: vec![
                ("basis".into(), "consent".into()),
                ("category".into(), "appointments".into()),
            ],
            site: Some("org-a".into()),
        }
    }

    #[test]
    fn a_booking_by_a_doctor() {
        let e = audit_event_to_fhir(&facts()).unwrap();
        assert_eq!(e["resourceType"], "AuditEvent");
        assert_eq!(e["id"], "7");
        assert_eq!(
            e["type"],
            json!({"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110", "display": "Patient Record"})
        );
        assert_eq!(e["subtype"][0]["code"], "create");
        assert_eq!(e["action"], "C");
        assert_eq!(e["recorded"], "2026-05-04T09:00:00Z");
        assert_eq!(e["outcome"], "0");
        assert!(e.get("outcomeDesc").is_none());
        assert_eq!(e["agent"][0]["requestor"], true);
        assert_eq!(e["agent"][0]["who"]["type"], "Practitioner");
        assert_eq!(e["agent"][0]["who"]["identifier"]["value"], "D1");
        assert_eq!(e["agent"][0]["role"][0]["coding"][0]["code"], "doctor");
        assert_eq!(e["source"]["site"], "org-a");
        assert_eq!(e["source"]["type"][0]["code"], "4");
        assert_eq!(e["entity"][0]["what"]["reference"], "Appointment/a1");
        assert_eq!(e["entity"][0]["role"]["code"], "4");
        assert_eq!(
            e["entity"][0]["detail"][0],
            json!({"type": "basis", "valueString": "consent"})
        );
        assert_eq!(e["entity"][1]["what"]["reference"], "Patient/X1");
        assert_eq!(e["entity"][1]["role"]["code"], "1");
        assert_eq!(
            e["purposeOfEvent"][0]["coding"][0],
            json!({"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"})
        );
    }

    #[test]
    fn a_denied_read_by_a_patient_of_their_own_record() {
        let mut f = facts();
        f.actor = "X1".into();
        f.roles = vec!["patient".into()];
        f.action = "patient.read".into();
        f.target = "patient:X1".into();
        f.outcome = "deny".into();
        let e = audit_event_to_fhir(&f).unwrap();
        assert_eq!(
            (e["action"].as_str(), e["outcome"].as_str()),
            (Some("R"), Some("4"))
        );
        assert_eq!(e["outcomeDesc"], "deny `patient.read` (basis: consent)");
        assert_eq!(e["agent"][0]["who"], json!({"reference": "Patient/X1"}));
        // The patient is the target: one entity, a Person in the Patient role.
        assert_eq!(e["entity"].as_array().unwrap().len(), 1);
        assert_eq!(e["entity"][0]["type"]["code"], "1");
        assert_eq!(e["entity"][0]["role"]["code"], "1");
    }

    #[test]
    fn no_patient_no_role_unknown_verb() {
        let mut f = facts();
        f.patient = None;
        f.roles = Vec::new();
        f.purpose = None;
        f.action = "audit.verify".into();
        f.target = "series:s1".into();
        f.outcome = "error".into();
        f.details = Vec::new();
        f.site = None;
        let e = audit_event_to_fhir(&f).unwrap();
        assert_eq!(e["type"]["system"], AUDIT_EVENT_TYPE_SYSTEM);
        assert_eq!(e["type"]["code"], "rest");
        assert_eq!(e["action"], "E");
        assert_eq!(e["subtype"][0]["code"], "operation");
        assert_eq!(e["outcome"], "8");
        assert_eq!(e["outcomeDesc"], "error `audit.verify`");
        assert_eq!(e["agent"][0]["who"]["type"], "Device");
        assert!(e["agent"][0].get("role").is_none());
        assert_eq!(
            e["entity"][0]["what"]["identifier"],
            json!({"system": TARGET_SYSTEM, "value": "series:s1"})
        );
        assert_eq!(e["entity"].as_array().unwrap().len(), 1);
        assert!(e.get("purposeOfEvent").is_none());
        assert!(e["source"].get("site").is_none());
        f.outcome = "strange".into();
        assert_eq!(audit_event_to_fhir(&f).unwrap()["outcome"], "12");
    }

    #[test]
    fn actions_and_their_verbs() {
        for (action, code) in [
            ("appointment.book", "C"),
            ("patient.read", "R"),
            ("appointment.ics", "R"),
            ("appointment.check-in", "U"),
            ("waitlist.remove", "D"),
            ("appointment.search", "E"),
            ("access.check", "E"),
            ("read", "R"),
        ] {
            assert_eq!(AuditAction::of(action).code(), code, "{action}");
        }
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.code()), Some(a));
            for v in a.verbs() {
                assert_eq!(AuditAction::of(v), a);
                assert!(!a.others().contains(&v));
            }
        }
        assert_eq!(AuditAction::parse("X"), None);
        assert_eq!(outcomes_of("4"), Some(&["deny"][..]));
        assert_eq!(outcomes_of("12"), None);
        for code in ["0", "4", "8"] {
            for o in outcomes_of(code).unwrap() {
                assert_eq!(audit_outcome(o), code);
            }
        }
    }

    #[test]
    fn targets_both_ways() {
        assert_eq!(target_reference("booking:a1"), Some(("Appointment", "a1")));
        assert_eq!(target_reference("series:s1"), None);
        assert_eq!(target_reference("patient:a b"), None);
        assert_eq!(
            target_of("Appointment", "a1").as_deref(),
            Some("booking:a1")
        );
        assert_eq!(target_of("Slot", "a1"), None);
    }

    #[test]
    fn refuses_what_fhir_cannot_carry() {
        let mut f = facts();
        f.id = "a b".into();
        assert!(
            audit_event_to_fhir(&f)
                .unwrap_err()
                .message()
                .starts_with("id")
        );
        let mut f = facts();
        f.actor = String::new();
        assert!(
            audit_event_to_fhir(&f)
                .unwrap_err()
                .message()
                .starts_with("actor")
        );
    }
}
