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
//! use hcas_core::consent::fhir::{consent_from_fhir_r4, consent_to_fhir_r4, consent_to_fhir_r5};
//! use hcas_core::consent::Consent;
//! let consent = Consent::from_json(&serde_json::json!({
//!     "id": "C1", "patient": "P1", "status": "active", "date": "2025-03-01T00:00:00Z",
//!     "decision": "permit", "scope": { "orgs": ["Org1"] },
//!     "provisions": [ { "purposes": ["HMARKT"] } ]
//! }), "consent").unwrap();
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

use crate::fhir::{
    check_elements, check_id, field, instant_text, invalid, kind, required, resource_id, string,
};
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde_json::{Map, Value, json};

use super::{
    Action, Category, Consent, ConsentStatus, Effect, MAX_PROVISION_DEPTH, Match, Period,
    Provision, Purpose, Role, consent_error,
};
use crate::error::{Error, ErrorCode, Result};
use crate::time::{Timestamp, parse_local_date};

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
const REFERENCE_ELEMENTS: &[&str] = &[
    "id",
    "extension",
    "reference",
    "type",
    "identifier",
    "display",
];
const CODEABLE_CONCEPT_ELEMENTS: &[&str] = &["id", "extension", "coding", "text"];
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
// Import
// ---------------------------------------------------------------------------

/// The hcas consent an R4 `Consent` describes (see the module docs for the mapping).
///
/// # Errors
/// `invalid_request` naming the JSON path (e.g. `provision.provision[0].type`)
/// for anything hcas cannot represent; `invalid_datetime` for a malformed
/// date; `invalid_consent` for a period whose end is not after its start.
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
            let provisions = provisions_from(po, path, ver, decision, 1)?;
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
    let provisions = provisions_from(o, "", ver, Some(decision), 1)?;
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
fn finish(consent: Consent) -> Result<Consent> {
    consent.validate()?;
    Ok(consent)
}

fn status(o: &Map<String, Value>, ver: Version) -> Result<ConsentStatus> {
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
fn consent_scope(o: &Map<String, Value>) -> Result<()> {
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
fn policy_rule_decision(o: &Map<String, Value>) -> Result<Effect> {
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
fn effect(text: &str, path: &str) -> Result<Effect> {
    Effect::parse(text)
        .ok_or_else(|| invalid(path, format!("`{text}` is not a decision (permit, deny)")))
}

/// R5 `date`, made exact by [`EXT_DATE_TIME`] when present.
fn r5_date(o: &Map<String, Value>) -> Result<Timestamp> {
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
fn scope_extension(o: &Map<String, Value>) -> Result<Option<Match>> {
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

fn scope_from_extension(eo: &Map<String, Value>, path: &str) -> Result<Match> {
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

fn push<T>(list: &mut Option<Vec<T>>, value: T) {
    list.get_or_insert_with(Vec::new).push(value);
}

fn once<T>(slot: &mut Option<T>, value: T, path: &str) -> Result<()> {
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
fn refuse_unmatchable(o: &Map<String, Value>, path: &str, ver: Version) -> Result<()> {
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

/// The provisions nested in `o` (at `path`), each with the opposite effect of
/// `parent` (unknown while a missing R4 root type is still to be reported);
/// `depth` is the hcas depth of the list (the consent's own is 1).
fn provisions_from(
    o: &Map<String, Value>,
    path: &str,
    ver: Version,
    parent: Option<Effect>,
    depth: usize,
) -> Result<Vec<Provision>> {
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
            provision_from(
                v,
                &format!("{lp}[{i}]"),
                ver,
                parent.map(Effect::flip),
                depth,
            )
        })
        .collect()
}

fn provision_from(
    v: &Value,
    path: &str,
    ver: Version,
    own: Option<Effect>,
    depth: usize,
) -> Result<Provision> {
    let o = object(v, path)?;
    refuse_unmatchable(o, path, ver)?;
    check_keys(o, ver.provision_elements(), path)?;
    let when = match_from(o, path, ver, false)?;
    let provisions = provisions_from(o, path, ver, own, depth + 1)?;
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
fn match_from(o: &Map<String, Value>, path: &str, ver: Version, root: bool) -> Result<Match> {
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
fn codings<T>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    read: impl Fn(&str, &str) -> Option<T> + Copy,
    expected: &str,
) -> Result<Option<Vec<T>>> {
    each(o, key, path, |v, p| coded(v, p, read, expected))
}

/// A list of `CodeableConcept`s, each read by `read`.
fn concepts<T: Copy + PartialEq>(
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
fn each<T>(
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
fn categories_from(
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
enum ActorRole {
    /// `PRCP`, `IRCP`: the recipient, i.e. who accesses the data.
    Recipient,
    /// An hcas role.
    Role(Role),
}

/// Whom a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
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
struct Actors {
    roles: Option<Vec<Role>>,
    actors: Option<Vec<String>>,
    orgs: Option<Vec<String>>,
}

/// `roles`, `actors` and `orgs` from an `actor` list, which must be every
/// combination of some roles with some references (see the module docs).
fn actors_from(o: &Map<String, Value>, path: &str, ver: Version, root: bool) -> Result<Actors> {
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
fn actor_entry(v: &Value, path: &str, ver: Version) -> Result<(Option<Role>, Who)> {
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
fn who(v: &Value, path: &str) -> Result<Who> {
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
fn relative_reference<'a>(reference: &'a str, at: &str) -> Result<(&'a str, &'a str)> {
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
fn patient(o: &Map<String, Value>, key: &str) -> Result<String> {
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

// ---------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------

fn role_from(system: &str, code: &str) -> Option<ActorRole> {
    if system == CS_PARTICIPATION && RECIPIENT_CODES.contains(&code) {
        return Some(ActorRole::Recipient);
    }
    ROLE_CODES
        .iter()
        .find(|(s, c, _)| *s == system && *c == code)
        .map(|&(_, _, r)| ActorRole::Role(r))
}

fn role_coding(role: Role) -> (&'static str, &'static str) {
    ROLE_CODES
        .iter()
        .find(|(_, _, r)| *r == role)
        .map_or((CS_ROLE, role.as_str()), |&(s, c, _)| (s, c))
}

fn purpose_from(system: &str, code: &str) -> Option<Purpose> {
    (system == CS_ACT_REASON)
        .then(|| Purpose::parse(code))
        .flatten()
}

fn action_from(system: &str, code: &str) -> Option<Action> {
    match (system, code) {
        (CS_CONSENT_ACTION, "access") => Some(Action::Read),
        (CS_CONSENT_ACTION, "correct") => Some(Action::Write),
        _ => None,
    }
}

const fn action_code(action: Action) -> &'static str {
    match action {
        Action::Read => "access",
        Action::Write => "correct",
    }
}

fn category_from(system: &str, code: &str) -> Option<Category> {
    if system == CS_CATEGORY {
        Category::parse(code)
    } else if CS_RESOURCE_TYPES.contains(&system) && code == "Appointment" {
        Some(Category::Appointments)
    } else {
        None
    }
}

fn label_from(system: &str, code: &str) -> Option<String> {
    let known = match system {
        CS_CONFIDENTIALITY => CONFIDENTIALITY.contains(&code),
        CS_ACT_CODE => SENSITIVITY.contains(&code),
        CS_LABEL => is_fhir_code(code),
        _ => false,
    };
    known.then(|| code.to_string())
}

/// The system hcas writes a label with.
fn label_system(label: &str) -> &'static str {
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
fn is_fhir_code(s: &str) -> bool {
    !s.is_empty()
        && s.split(' ')
            .all(|part| !part.is_empty() && !part.chars().any(char::is_whitespace))
}

/// `(system, code)` of a `Coding`; both required.
fn coding<'a>(v: &'a Value, path: &str) -> Result<(&'a str, &'a str)> {
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
fn coded<T>(
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
fn concept<T: Copy + PartialEq>(
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

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// The first instant the date covers.
    Start,
    /// The first instant after the date (FHIR: an end includes its whole day).
    End,
}

/// A FHIR `date` (`date_only`) or `dateTime` as an hcas instant. A date
/// without a time is read at 00:00:00Z: its first day for a start, the day
/// after its last for an end.
fn fhir_instant(text: &str, path: &str, bound: Bound, date_only: bool) -> Result<Timestamp> {
    if text.contains('T') {
        if date_only {
            return Err(Error::new(
                ErrorCode::InvalidDatetime,
                format!(
                    "`{text}` is a dateTime, and R5 Consent.date is a date (YYYY-MM-DD); the \
                     time goes in the extension {EXT_DATE_TIME}"
                ),
            )
            .at(path));
        }
        return Timestamp::parse(text).map_err(|e| e.at(path));
    }
    let bad = || {
        Error::new(
            ErrorCode::InvalidDatetime,
            format!("`{text}` is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) or dateTime"),
        )
        .at(path)
    };
    let b = text.as_bytes();
    let number = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = |s: &[u8]| -> Option<i32> {
        number(s)
            .and_then(|y| i32::try_from(y).ok())
            .filter(|y| (1..=9999).contains(y))
    };
    let (first, next) = match b.len() {
        4 => {
            let y = year(b).ok_or_else(bad)?;
            (
                NaiveDate::from_ymd_opt(y, 1, 1),
                NaiveDate::from_ymd_opt(y + 1, 1, 1),
            )
        }
        7 if b[4] == b'-' => {
            let y = year(&b[..4]).ok_or_else(bad)?;
            let m = number(&b[5..])
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)
            };
            (NaiveDate::from_ymd_opt(y, m, 1), next)
        }
        10 => {
            let d = parse_local_date(text).map_err(|e| e.at(path))?;
            (Some(d), d.succ_opt())
        }
        _ => return Err(bad()),
    };
    let day = match bound {
        Bound::Start => first,
        Bound::End => next,
    }
    .ok_or_else(bad)?;
    if day.year() > 9999 {
        return Err(Error::new(
            ErrorCode::InvalidDatetime,
            format!("the end of `{text}` is after the year 9999, which hcas cannot write"),
        )
        .at(path));
    }
    Timestamp::from_naive_utc(day.and_time(NaiveTime::MIN)).map_err(|e| e.at(path))
}

/// A FHIR `Period`: at least one end, the end after the start.
fn period(v: &Value, path: &str) -> Result<Period> {
    let o = object(v, path)?;
    check_keys(o, PERIOD_ELEMENTS, path)?;
    let bound = |key: &str, b: Bound| -> Result<Option<Timestamp>> {
        string(o, key, path)?
            .map(|s| fhir_instant(s, &field(path, key), b, false))
            .transpose()
    };
    let p = Period {
        start: bound("start", Bound::Start)?,
        end: bound("end", Bound::End)?,
    };
    match (p.start, p.end) {
        (None, None) => Err(invalid(
            path,
            "has neither start nor end; an unbounded period is written as no period",
        )),
        (Some(s), Some(e)) if e <= s => Err(consent_error(format!(
            "ends at {e}, not after its start {s} (hcas periods are half-open [start, end); a \
             date-only end includes its whole day)"
        ))
        .at(&field(path, "end"))),
        _ => Ok(p),
    }
}

// ---------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------

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
fn header(consent: &Consent) -> Result<Map<String, Value>> {
    consent.validate()?;
    check_id(&consent.id, "id")?;
    let mut out = Map::new();
    out.insert("resourceType".into(), "Consent".into());
    out.insert("id".into(), consent.id.clone().into());
    out.insert("status".into(), consent.status.as_str().into());
    Ok(out)
}

fn consent_category() -> Value {
    json!([{ "coding": [{ "system": LOINC, "code": LOINC_PATIENT_CONSENT }] }])
}

fn patient_reference(consent: &Consent) -> Result<Value> {
    check_id(&consent.patient, "patient")?;
    Ok(json!({ "reference": format!("Patient/{}", consent.patient) }))
}

fn check_scope(scope: &Match) -> Result<()> {
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
fn provisions_to(
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

fn provision_to(p: &Provision, path: &str, ver: Version, own: Effect) -> Result<Value> {
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
fn match_to(m: &Match, path: &str, ver: Version) -> Result<Map<String, Value>> {
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
fn actors_to(m: &Match, path: &str, ver: Version) -> Result<Option<Vec<Value>>> {
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

fn no_repeats<T: PartialEq>(list: &[T], path: &str) -> Result<()> {
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
fn scope_to_extension(s: &Match) -> Result<Value> {
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

fn role_concept(role: Role) -> Value {
    let (system, code) = role_coding(role);
    json!({ "coding": [{ "system": system, "code": code }] })
}

fn action_concept(action: Action) -> Value {
    json!({ "coding": [{ "system": CS_CONSENT_ACTION, "code": action_code(action) }] })
}

fn purpose_coding(purpose: Purpose) -> Value {
    json!({ "system": CS_ACT_REASON, "code": purpose.as_str() })
}

fn category_coding(category: Category) -> Value {
    json!({ "system": CS_CATEGORY, "code": category.as_str() })
}

fn label_coding(label: &str, path: &str) -> Result<Value> {
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

fn period_to(p: &Period, path: &str) -> Result<Value> {
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
