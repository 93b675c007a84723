//! FHIR R4 and R5 `Consent` JSON ⇄ hcas [`Consent`].
//!
//! JSON is handled as [`serde_json::Value`], in the style of [`crate::fhir`]:
//! for every field hcas models, hcas → FHIR → hcas is the identity (both
//! versions), and FHIR → hcas → FHIR keeps the value of every element hcas
//! models. What hcas cannot represent without changing the consent's meaning is
//! refused, never dropped; what carries no meaning for a decision is ignored,
//! and the lists below say which is which.
//!
//! # Errors name the JSON path
//!
//! An import error's message starts with the JSON path of the offending
//! element, relative to the resource (`provision.provision[1].type: ...`). The
//! code is `invalid_request` for structure (missing, unknown or mistyped
//! elements, codes hcas does not map, references it cannot follow, anything
//! hcas cannot represent), `invalid_datetime` for a malformed date or instant,
//! and `invalid_consent` for a period whose end is not after its start (the
//! consent model's own rule, as in [`Consent::from_json`]). An export error
//! names the hcas field instead (`provisions[0].orgs`, `scope.period`), with
//! `invalid_request` for what the FHIR version cannot carry, after the
//! consent's own validation ([`Consent::validate`]).
//!
//! Refused everywhere on import: `implicitRules`, every `modifierExtension`
//! (but the hcas scope in R5), elements the version does not define (an R5
//! `subject` in R4 is named as such), JSON `null`, empty strings, arrays and
//! objects (FHIR has none), relative references that are not `Type/id`
//! (absolute, `urn:`, `#contained`, `_history`), and an `identifier` standing
//! in for a reference. Unknown plain extensions are ignored.
//!
//! # The mapping
//!
//! | hcas [`Consent`] | FHIR R4 `Consent` | FHIR R5 `Consent` |
//! |---|---|---|
//! | `id` | `id` | `id` |
//! | `status` | `status` (`draft`, `active`, `inactive`, `entered-in-error`) | `status` (same codes) |
//! | `patient` | `patient.reference` = `Patient/ID` | `subject.reference` = `Patient/ID` |
//! | `date` | `dateTime` | `date` (the UTC day) + extension [`EXT_DATE_TIME`] when not at 00:00:00Z |
//! | `period` | `provision.period` (the root provision) | `period` |
//! | `decision` | `provision.type` (+ `policyRule` OPTIN/OPTOUT, written to match) | `decision` |
//! | `scope` (a [`Match`]) | the root `provision`'s conditions, and `organization` | `modifierExtension` [`EXT_SCOPE`] |
//! | `scope.orgs` | `organization[].reference` = `Organization/ID` | sub-extension `organization` |
//! | `scope.period` | refused on export: R4 has one root period, and it is the consent's | sub-extension `period` |
//! | `provisions` | `provision.provision` (each with `type`, the opposite of its parent's) | `provision` |
//! | `provisions[i].provisions` | `provision.provision[i].provision` | `provision[i].provision` |
//!
//! A [`Match`] (a provision, or R4's root provision) maps element by element:
//!
//! | hcas [`Match`] | R4 `provision` | R5 `provision` / scope sub-extension |
//! |---|---|---|
//! | `actors` | `actor[].reference` = `Practitioner/ID` | `actor[].reference` / `actor` |
//! | `orgs` | `actor[].reference` = `Organization/ID` (nested provisions; the root uses `organization`) | `actor[].reference` / `organization` |
//! | `roles` | `actor[].role` (role codes below) | `actor[].role` / `role` |
//! | `purposes` | `purpose[]` | `purpose[]` / `purpose` |
//! | `categories` | `class[]` (read also from `code[]`) | `documentType[]` (read also from `resourceType[]`, `code[]`) / `category` |
//! | `actions` | `action[]` | `action[]` / `action` |
//! | `labels` | `securityLabel[]` | `securityLabel[]` / `securityLabel` |
//! | `period` | `period` | `period` / `period` |
//! | `data_period` | `dataPeriod` | `dataPeriod` / `dataPeriod` |
//!
//! ## Actors, roles and organisations
//!
//! A FHIR `actor` list means *any of them*, and each actor pairs a `role` with
//! a `reference`. hcas matches `roles`, `actors` and `orgs` separately, *all*
//! of them. One actor `{role: doctor, reference: Practitioner/A}` is both
//! conditions at once, so a list of actors carries hcas's conditions exactly
//! when it is every combination of some roles with some references: hcas
//! writes `roles × actors` (or `roles × orgs`), roles outermost, and reads a
//! list back only when it is such a product. So a provision may not name both
//! `actors` and `orgs` (refused on export, naming `…orgs`), and on import a
//! list that mixes Practitioners with Organizations, actors with and without
//! an hcas role, or that is not a full product is refused, naming the list.
//! A role, actor or organisation listed twice in one provision is refused on
//! export (it would read back once).
//!
//! - An actor whose role is the recipient, `v3-ParticipationType` `PRCP` or
//!   `IRCP` ("who receives the data", which is who hcas matches), adds no role.
//!   Other participation codes (`AUT` author, `CST` custodian, ...) describe
//!   the data, not who accesses it, and are refused.
//! - R4 requires both `role` and `reference`: hcas writes `PRCP` when it has
//!   no role, and a reference with only a `display` ([`ANYONE`]) when it has
//!   roles but no actor. On import a reference with only a `display` names no
//!   one in particular, which is allowed only next to an hcas role. R5 leaves
//!   both out instead, and reads them either way.
//! - References other than `Practitioner/ID` and `Organization/ID` (a
//!   `Patient`, `RelatedPerson`, `Group`, `CareTeam`, `Device`,
//!   `PractitionerRole`) are refused: hcas actor ids carry no resource type,
//!   so it writes every actor as a Practitioner, and anything else would not
//!   read back as itself.
//!
//! ## Code systems
//!
//! | hcas | accepted on import | written |
//! |---|---|---|
//! | role `doctor`, `nurse`, `researcher` | [`CS_PRACTITIONER_ROLE`] `doctor`, `nurse`, `researcher`; [`CS_ROLE`] same code | the first |
//! | role `patient` | [`CS_ROLE_CLASS`] `PAT`; [`CS_ROLE`] `patient` | the first |
//! | role `admin` | [`CS_ROLE`] `admin` | the same |
//! | (no role: the recipient) | [`CS_PARTICIPATION`] `PRCP`, `IRCP` | `PRCP` (R4 only) |
//! | purpose `TREAT` ... `HMARKT` | [`CS_ACT_REASON`], the same six codes | the same |
//! | action `read` | [`CS_CONSENT_ACTION`] `access` | the same |
//! | action `write` | [`CS_CONSENT_ACTION`] `correct` | the same |
//! | category `appointments` ... `psychotherapy` | [`CS_CATEGORY`], the same codes; [`CS_RESOURCE_TYPES`] `Appointment` for `appointments` | [`CS_CATEGORY`] |
//! | label `U`, `L`, `M`, `N`, `R`, `V` | [`CS_CONFIDENTIALITY`] (or [`CS_LABEL`]) | [`CS_CONFIDENTIALITY`] |
//! | label `ETH`, `GDIS`, `HIV`, `PSY`, `SCA`, `SDV`, `SEX`, `SPI`, `STD`, `TBOO` | [`CS_ACT_CODE`] (or [`CS_LABEL`]) | [`CS_ACT_CODE`] |
//! | any other label | [`CS_LABEL`], the label as the code | [`CS_LABEL`] |
//!
//! The other consent actions (`collect`, `use`, `disclose`) are refused: none
//! is exactly a read or a write, and reading one as the other would widen a
//! permit. In a `CodeableConcept` the codings are translations: codings from
//! other systems are ignored, the ones hcas knows must agree, and at least one
//! must be known.
//!
//! ## Dates and periods
//!
//! hcas instants are UTC seconds. A FHIR `dateTime` with a time is read as
//! that instant; a date without a time (`2016-01-01`, `2016-01`, `2016`)
//! starts at 00:00:00Z of its first day. A period's `end` given as a date
//! includes that whole day, month or year, as FHIR says, so `end: 2016-01-01`
//! reads as the exclusive end `2016-01-02T00:00:00Z`; an `end` with a time is
//! hcas's exclusive end itself, as in [`crate::fhir`]. Exports always write
//! full instants `YYYY-MM-DDTHH:MM:SSZ`, so a date read from FHIR is written
//! back as the equivalent instant. R5 `Consent.date` is a date: hcas writes the
//! UTC day, and the exact instant in the extension [`EXT_DATE_TIME`] when it
//! is not midnight (the date orders consents, so its time matters). An
//! unbounded period (`{}`) has no FHIR form and is refused both ways.
//!
//! # R4 specifics
//!
//! - The root `provision` is the consent itself: its `type` is the base
//!   `decision`, its `period` the consent's `period`, its other conditions the
//!   consent's `scope` (where the consent applies at all), and its nested
//!   provisions the hcas provisions. `Consent.organization` carries
//!   `scope.orgs`; an `Organization` actor in the root provision is refused
//!   (put it in `organization`).
//! - The root `type` is required when there is a root provision. R4 examples
//!   often leave it to `policyRule`, but whether the root provision is then the
//!   consent's own rule or an exception to the policy is not said, and the
//!   examples read both ways. Without any provision, `policyRule`
//!   ([`CS_ACT_CODE`] `OPTIN`/`OPTINR` permit, `OPTOUT`/`OPTOUTE` deny) is the
//!   decision. Otherwise `policyRule` is the policy the consent is an exception
//!   to, which hcas's default step plays, and is ignored. Export writes
//!   `OPTIN` or `OPTOUT` to match the decision (R4 needs a policy).
//! - A nested provision's `type` must be the opposite of its parent's (hcas
//!   exceptions flip the effect); an absent one is read as that.
//! - `scope` must be [`CS_CONSENT_SCOPE`] `patient-privacy`: hcas models who
//!   may access data, and `research`, `treatment` and `adr` consents are other
//!   kinds of consent. Export writes it.
//! - `status` `proposed` and `rejected` are refused: hcas's `draft` (written,
//!   not yet in force) and `inactive` (revoked) are not the same, and would be
//!   written back as themselves.
//! - Ignored: `meta`, `language`, `text`, `contained`, `identifier`,
//!   `category` (export writes LOINC `59284-0` "Patient consent"),
//!   `performer`, `sourceAttachment`, `sourceReference`, `policy`,
//!   `policyRule` (when there is a provision), `verification`, and in
//!   references `display` and `identifier` next to a `reference`.
//! - Refused in a provision: `data` (hcas governs categories of data, not
//!   particular resources).
//!
//! # R5 specifics
//!
//! - `decision` is required. Top-level `provision`s are exceptions to it and
//!   nested ones exceptions to those, each with the opposite effect, exactly
//!   as in hcas. A provision with no condition and no exception of its own
//!   would be an empty element, and is refused both ways.
//! - hcas's `scope` has no R5 element (R5 has no root provision), and it
//!   changes what the consent means, so it is the modifier extension
//!   [`EXT_SCOPE`] with one sub-extension per value: `actor`
//!   (`valueReference` `Practitioner/ID`), `role` (`valueCodeableConcept`),
//!   `organization` (`valueReference` `Organization/ID`), `purpose`,
//!   `category`, `securityLabel` (`valueCoding`), `action`
//!   (`valueCodeableConcept`), `period`, `dataPeriod` (`valuePeriod`). The
//!   sub-extensions of one name are *any of*, different names must all hold.
//!   A reader that does not know it must refuse the resource, as it should.
//! - `status` `not-done` and `unknown` are refused (no hcas equivalent).
//! - Ignored: `meta`, `language`, `text`, `contained`, `identifier`,
//!   `category` (export writes LOINC `59284-0`), `grantor`, `grantee`,
//!   `manager`, `controller`, `sourceAttachment`, `sourceReference`,
//!   `regulatoryBasis`, `policyBasis`, `policyText`, `verification`.
//! - Refused in a provision: `data` and `expression`.
//!
//! # Example
//!
//! ```
//! use hcas_core::consent::{Consent, Match, Provision, Purpose};
//! use hcas_core::fhir::{consent_from_fhir_r4, consent_to_fhir_r4, consent_to_fhir_r5};
//! let consent = Consent::permit("C1", "P1", "2025-03-01T00:00:00Z".parse().unwrap())
//!     .with_scope(Match::any().with_org("Org1"))
//!     .with_provision(Provision::new(Match::any().with_purpose(Purpose::Hmarkt)));
//! let r4 = consent_to_fhir_r4(&consent).unwrap();
//! assert_eq!(r4["organization"][0]["reference"], "Organization/Org1");
//! assert_eq!(r4["provision"]["type"], "permit");
//! assert_eq!(r4["provision"]["provision"][0]["type"], "deny");
//! assert_eq!(r4["provision"]["provision"][0]["purpose"][0]["code"], "HMARKT");
//! assert_eq!(consent_from_fhir_r4(&r4).unwrap(), consent);
//!
//! let r5 = consent_to_fhir_r5(&consent).unwrap();
//! assert_eq!(r5["decision"], "permit");
//! assert_eq!(r5["date"], "2025-03-01");
//! let err = consent_from_fhir_r4(&r5).unwrap_err(); // R5 JSON is not R4 JSON
//! assert!(err.message().contains("is an R5 element"), "{err}");
//! ```

use super::{
    check_elements, check_id, field, instant_text, invalid, kind, required, resource_id, string,
};
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde_json::{Map, Value, json};

use crate::consent::{
    Action, Category, Consent, ConsentStatus, Effect, MAX_PROVISION_DEPTH, Match, Period,
    Provision, Purpose, Role, consent_error,
};
use crate::error::{Error, ErrorCode, Result};
use crate::time::{Timestamp, parse_local_date};

mod codes;
mod dates;
mod export;
mod import;

use codes::*;
use dates::*;
use import::*;

pub use export::{consent_to_fhir_r4, consent_to_fhir_r5};
pub use import::{consent_from_fhir_r4, consent_from_fhir_r5};

/// Modifier extension on an R5 Consent: the hcas `scope` (where the consent
/// applies at all), one sub-extension per value.
pub const EXT_SCOPE: &str = "https://hcas.dev/fhir/StructureDefinition/consent-scope";
/// Extension on an R5 Consent: the exact instant of `date` (`valueDateTime`),
/// written when it is not 00:00:00Z.
pub const EXT_DATE_TIME: &str = "https://hcas.dev/fhir/StructureDefinition/consent-date-time";
/// hcas data categories: `appointments`, `records`, `notes`, `labs`, `psychotherapy`.
pub const CS_CATEGORY: &str = "https://hcas.dev/fhir/CodeSystem/consent-category";
/// hcas roles: `patient`, `doctor`, `nurse`, `admin`, `researcher`.
pub const CS_ROLE: &str = "https://hcas.dev/fhir/CodeSystem/consent-role";
/// hcas security labels that no standard system below defines (the label is the code).
pub const CS_LABEL: &str = "https://hcas.dev/fhir/CodeSystem/security-label";
/// HL7 practitioner roles (`doctor`, `nurse`, `researcher`, ...).
pub const CS_PRACTITIONER_ROLE: &str = "http://terminology.hl7.org/CodeSystem/practitioner-role";
/// HL7 v3 RoleClass (`PAT`: patient).
pub const CS_ROLE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
/// HL7 v3 ParticipationType (`PRCP`, `IRCP`: who receives the information).
pub const CS_PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
/// HL7 v3 ActReason (purposes of use).
pub const CS_ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/// FHIR consent actions (`access`, `correct`, ...).
pub const CS_CONSENT_ACTION: &str = "http://terminology.hl7.org/CodeSystem/consentaction";
/// HL7 v3 Confidentiality (`U`, `L`, `M`, `N`, `R`, `V`).
pub const CS_CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
/// HL7 v3 ActCode (sensitivity labels; `OPTIN`/`OPTOUT` policy rules).
pub const CS_ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// FHIR R4 consent scopes (`patient-privacy`, ...).
pub const CS_CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
/// FHIR resource types, as R4 (`resource-types`) and R5 (`fhir-types`) name them.
pub const CS_RESOURCE_TYPES: [&str; 2] = [
    "http://hl7.org/fhir/resource-types",
    "http://hl7.org/fhir/fhir-types",
];
/// The `display` of an R4 actor reference that names no one in particular
/// (R4 requires a reference; hcas writes this when it matches by role only).
pub const ANYONE: &str = "anyone in the role";

const LOINC: &str = "http://loinc.org";
/// LOINC "Patient consent", the `category` hcas writes.
const LOINC_PATIENT_CONSENT: &str = "59284-0";

/// Codes read as hcas roles; the first listed for a role is the one written.
const ROLE_CODES: [(&str, &str, Role); 10] = [
    (CS_PRACTITIONER_ROLE, "doctor", Role::Doctor),
    (CS_PRACTITIONER_ROLE, "nurse", Role::Nurse),
    (CS_PRACTITIONER_ROLE, "researcher", Role::Researcher),
    (CS_ROLE_CLASS, "PAT", Role::Patient),
    (CS_ROLE, "admin", Role::Admin),
    (CS_ROLE, "patient", Role::Patient),
    (CS_ROLE, "doctor", Role::Doctor),
    (CS_ROLE, "nurse", Role::Nurse),
    (CS_ROLE, "researcher", Role::Researcher),
    (CS_ROLE, "admin", Role::Admin),
];

/// Participation codes meaning "the recipient of the data": who hcas matches.
const RECIPIENT_CODES: [&str; 2] = ["PRCP", "IRCP"];

/// v3 Confidentiality codes, written with [`CS_CONFIDENTIALITY`].
const CONFIDENTIALITY: [&str; 6] = ["U", "L", "M", "N", "R", "V"];
/// v3 ActCode sensitivity codes, written with [`CS_ACT_CODE`].
const SENSITIVITY: [&str; 10] = [
    "ETH", "GDIS", "HIV", "PSY", "SCA", "SDV", "SEX", "SPI", "STD", "TBOO",
];

const ROLE_EXPECTED: &str = "an hcas role (practitioner-role doctor, nurse, researcher; \
     v3-RoleClass PAT; https://hcas.dev/fhir/CodeSystem/consent-role patient, doctor, nurse, \
     admin, researcher) or the recipient (v3-ParticipationType PRCP, IRCP); hcas matches who \
     accesses the data, not who wrote or keeps it";
const PURPOSE_EXPECTED: &str = "a purpose hcas knows (v3-ActReason TREAT, ETREAT, HPAYMT, HOPERAT, \
     HRESCH, HMARKT)";
const ACTION_EXPECTED: &str = "an action hcas knows (consentaction access = read, correct = write; \
     collect, use and disclose are not exactly either)";
const CATEGORY_EXPECTED: &str = "a data category hcas knows (https://hcas.dev/fhir/CodeSystem/\
     consent-category appointments, records, notes, labs, psychotherapy; or the resource type \
     Appointment)";
const LABEL_EXPECTED: &str = "a security label hcas knows (v3-Confidentiality U, L, M, N, R, V; \
     v3-ActCode ETH, GDIS, HIV, PSY, SCA, SDV, SEX, SPI, STD, TBOO; or any code of \
     https://hcas.dev/fhir/CodeSystem/security-label)";

/// The elements of an R4 `Consent` (less the modifiers hcas refuses).
const R4_CONSENT: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "status",
    "scope",
    "category",
    "patient",
    "dateTime",
    "performer",
    "organization",
    "sourceAttachment",
    "sourceReference",
    "policy",
    "policyRule",
    "verification",
    "provision",
];

/// The elements of an R5 `Consent` (`modifierExtension` only for [`EXT_SCOPE`]).
const R5_CONSENT: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "modifierExtension",
    "identifier",
    "status",
    "category",
    "subject",
    "date",
    "period",
    "grantor",
    "grantee",
    "manager",
    "controller",
    "sourceAttachment",
    "sourceReference",
    "regulatoryBasis",
    "policyBasis",
    "policyText",
    "verification",
    "decision",
    "provision",
];

/// The elements of an R4 `Consent.provision` hcas reads (`data` is refused first).
const R4_PROVISION: &[&str] = &[
    "id",
    "extension",
    "type",
    "period",
    "actor",
    "action",
    "securityLabel",
    "purpose",
    "class",
    "code",
    "dataPeriod",
    "provision",
];

/// The elements of an R5 `Consent.provision` hcas reads (`data`, `expression` are refused first).
const R5_PROVISION: &[&str] = &[
    "id",
    "extension",
    "period",
    "actor",
    "action",
    "securityLabel",
    "purpose",
    "documentType",
    "resourceType",
    "code",
    "dataPeriod",
    "provision",
];

const ACTOR_ELEMENTS: &[&str] = &["id", "extension", "role", "reference"];
use super::{CODEABLE_CONCEPT_ELEMENTS, REFERENCE_ELEMENTS};
const CODING_ELEMENTS: &[&str] = &[
    "id",
    "extension",
    "system",
    "version",
    "code",
    "display",
    "userSelected",
];
const PERIOD_ELEMENTS: &[&str] = &["id", "extension", "start", "end"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    R4,
    R5,
}

impl Version {
    const fn name(self) -> &'static str {
        match self {
            Self::R4 => "R4",
            Self::R5 => "R5",
        }
    }

    const fn other(self) -> Self {
        match self {
            Self::R4 => Self::R5,
            Self::R5 => Self::R4,
        }
    }

    const fn consent_elements(self) -> &'static [&'static str] {
        match self {
            Self::R4 => R4_CONSENT,
            Self::R5 => R5_CONSENT,
        }
    }

    const fn provision_elements(self) -> &'static [&'static str] {
        match self {
            Self::R4 => R4_PROVISION,
            Self::R5 => R5_PROVISION,
        }
    }

    /// The provision elements hcas reads data categories from; the first is
    /// the one it writes.
    const fn category_elements(self) -> &'static [&'static str] {
        match self {
            Self::R4 => &["class", "code"],
            Self::R5 => &["documentType", "resourceType", "code"],
        }
    }

    const fn statuses(self) -> &'static [(&'static str, Option<ConsentStatus>, &'static str)] {
        match self {
            Self::R4 => R4_STATUSES,
            Self::R5 => R5_STATUSES,
        }
    }
}

/// Every status code of a version, with the hcas status or why there is none.
const R4_STATUSES: &[(&str, Option<ConsentStatus>, &str)] = &[
    ("draft", Some(ConsentStatus::Draft), ""),
    (
        "proposed",
        None,
        "a proposed consent awaits the other parties' agreement; hcas `draft` is a consent \
         not yet in force, and a proposed one would be written back as a draft",
    ),
    ("active", Some(ConsentStatus::Active), ""),
    (
        "rejected",
        None,
        "a rejected consent was never in force; hcas `inactive` means revoked, and a rejected \
         one would be written back as inactive",
    ),
    ("inactive", Some(ConsentStatus::Inactive), ""),
    ("entered-in-error", Some(ConsentStatus::EnteredInError), ""),
];

const R5_STATUSES: &[(&str, Option<ConsentStatus>, &str)] = &[
    ("draft", Some(ConsentStatus::Draft), ""),
    ("active", Some(ConsentStatus::Active), ""),
    ("inactive", Some(ConsentStatus::Inactive), ""),
    (
        "not-done",
        None,
        "a consent that was not given has no hcas status (hcas `inactive` means revoked)",
    ),
    ("entered-in-error", Some(ConsentStatus::EnteredInError), ""),
    (
        "unknown",
        None,
        "hcas needs to know whether a consent counts",
    ),
];

// ---------------------------------------------------------------------------
// JSON helpers (as in `crate::fhir`): every error names its JSON path
// ---------------------------------------------------------------------------

/// A non-empty object (FHIR has no empty elements).
fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    match v {
        Value::Object(o) if o.is_empty() => Err(invalid(
            path,
            "is empty; FHIR elements are never empty (omit the element)",
        )),
        Value::Object(o) => Ok(o),
        _ => Err(invalid(
            path,
            format!("expected an object, got {}", kind(v)),
        )),
    }
}

/// The array `o[key]`, empty if absent (FHIR arrays are never empty).
fn list<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a [Value]> {
    match o.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) if a.is_empty() => Err(invalid(
            &field(path, key),
            "is empty; FHIR arrays are never empty (omit the element)",
        )),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(invalid(
            &field(path, key),
            format!("expected an array, got {}", kind(v)),
        )),
    }
}

/// Refuse modifiers (unless `modifierExtension` is allowed) and elements not
/// in `allowed`; a `_key` primitive extension is allowed with its `key`.
fn check_keys(o: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<()> {
    check_elements(o, allowed, path, "an element")
}

/// The resource object, with its `resourceType` and elements checked.
fn resource(value: &Value, ver: Version) -> Result<&Map<String, Value>> {
    let o = object(value, "Consent")?;
    match string(o, "resourceType", "")? {
        Some("Consent") => {}
        Some(t) => {
            return Err(invalid(
                "resourceType",
                format!("expected Consent, got `{t}`"),
            ));
        }
        None => return Err(invalid("resourceType", "is required (Consent)")),
    }
    let other = ver.other();
    for key in o.keys() {
        let base = key.strip_prefix('_').unwrap_or(key);
        if base != "modifierExtension"
            && !ver.consent_elements().contains(&base)
            && other.consent_elements().contains(&base)
        {
            return Err(invalid(
                key,
                format!(
                    "`{key}` is an {} element and this reader takes {} (use \
                     consent_from_fhir_{})",
                    other.name(),
                    ver.name(),
                    other.name().to_lowercase()
                ),
            ));
        }
    }
    check_keys(o, ver.consent_elements(), "")?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_written_with_a_code_that_reads_back() {
        for &role in Role::ALL {
            let (system, code) = role_coding(role);
            assert_eq!(
                role_from(system, code),
                Some(ActorRole::Role(role)),
                "{role}"
            );
        }
    }

    #[test]
    fn labels_are_written_with_a_system_that_reads_back() {
        for label in CONFIDENTIALITY
            .iter()
            .chain(&SENSITIVITY)
            .chain(&["x y", "telehealth"])
        {
            assert_eq!(
                label_from(label_system(label), label).as_deref(),
                Some(*label)
            );
        }
        assert!(!is_fhir_code(" x"));
        assert!(!is_fhir_code("x  y"));
        assert!(!is_fhir_code("x\ty"));
        assert!(!is_fhir_code(""));
    }

    #[test]
    fn dates_cover_their_precision() {
        let t = |text: &str, b: Bound| fhir_instant(text, "d", b, false).unwrap().to_string();
        assert_eq!(t("2016", Bound::Start), "2016-01-01T00:00:00Z");
        assert_eq!(t("2016", Bound::End), "2017-01-01T00:00:00Z");
        assert_eq!(t("2016-02", Bound::End), "2016-03-01T00:00:00Z");
        assert_eq!(t("2016-12", Bound::End), "2017-01-01T00:00:00Z");
        assert_eq!(t("2016-02-29", Bound::End), "2016-03-01T00:00:00Z");
        assert_eq!(
            t("2016-02-29T10:00:00+02:00", Bound::End),
            "2016-02-29T08:00:00Z"
        );
        for bad in [
            "16",
            "2016-13",
            "2016-1",
            "0000",
            "2016-02-30",
            "x016",
            "2016-02-01T10:00",
        ] {
            let e = fhir_instant(bad, "d", Bound::Start, false).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidDatetime, "{bad}");
        }
        assert!(fhir_instant("9999", "d", Bound::End, false).is_err());
        assert!(fhir_instant("9999-12-31", "d", Bound::Start, false).is_ok());
    }
}
