//! FHIR R4 `Patient`, `Practitioner` and `PractitionerRole` (export only):
//! the directory resources a scheduling API answers beside its
//! appointments. hcas keeps these as profiles (a patient's demographics, a
//! provider's profile); the structs here carry exactly what the mapping
//! writes, and the server fills them from its records.
//!
//! | hcas | FHIR R4 |
//! |---|---|
//! | patient `id`, `name` | `Patient.id`, `Patient.name[0].text` |
//! | patient `birth_date` | `Patient.birthDate` |
//! | patient `email`, `phone` | `Patient.telecom[]` (`system` `email` / `phone`) |
//! | patient `language` (BCP 47) | `Patient.communication[0].language.coding[0]` (`urn:ietf:bcp:47`) |
//! | provider `id`, `name`, `active` | `Practitioner.id`, `.name[0].text`, `.active` |
//! | provider `languages` | `Practitioner.communication[]` (`urn:ietf:bcp:47`) |
//! | provider `id`, `active` | `PractitionerRole.id` (the provider's id: one role per provider), `.active`, `.practitioner` = `Practitioner/<id>` |
//! | provider `specialties` | `PractitionerRole.specialty[].coding[0]` ([`SPECIALTY_SYSTEM`]) |
//! | provider `location` (free text) | `PractitionerRole.location[0]` = `Location/<id>` (id from [`super::publish::location_id`]) |
//!
//! Not written: a patient's guardians (FHIR would need `RelatedPerson`
//! resources hcas does not keep), preferred channels and time zone, and a
//! provider's time zone.
//!
//! ```
//! use hcas_core::fhir::{FhirPractitioner, practitioner_role_to_fhir, practitioner_to_fhir};
//! let p = FhirPractitioner::new("P1", "Dr Lee").with_specialties(["general-practice"]);
//! let role = practitioner_role_to_fhir(&p).unwrap();
//! assert_eq!(role["practitioner"]["reference"], "Practitioner/P1");
//! assert_eq!(role["specialty"][0]["coding"][0]["code"], "general-practice");
//! assert_eq!(practitioner_to_fhir(&p).unwrap()["name"][0]["text"], "Dr Lee");
//! ```

use chrono::NaiveDate;

use super::*;

/// The code system of hcas specialty codes (free codes an organization
/// chooses, e.g. `general-practice`), on `PractitionerRole.specialty` and
/// `Schedule.specialty`.
pub const SPECIALTY_SYSTEM: &str = "https://hcas.dev/fhir/CodeSystem/specialty";

/// The code system of BCP 47 language tags.
pub const LANGUAGE_SYSTEM: &str = "urn:ietf:bcp:47";

/// A patient's profile as the FHIR `Patient` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FhirPatient {
    /// The id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The date of birth.
    pub birth_date: Option<NaiveDate>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Preferred language (BCP 47).
    pub language: Option<String>,
}

impl FhirPatient {
    /// Patient `id` named `name`, nothing else known yet.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            birth_date: None,
            email: None,
            phone: None,
            language: None,
        }
    }

    /// Born on `date`.
    #[must_use]
    pub const fn with_birth_date(mut self, date: Option<NaiveDate>) -> Self {
        self.birth_date = date;
        self
    }

    /// With these contact details and preferred language.
    #[must_use]
    pub fn with_contact(
        mut self,
        email: Option<String>,
        phone: Option<String>,
        language: Option<String>,
    ) -> Self {
        self.email = email;
        self.phone = phone;
        self.language = language;
        self
    }
}

/// A provider's profile as `Practitioner` and `PractitionerRole` carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FhirPractitioner {
    /// The provider id (also the id of its one `PractitionerRole`).
    pub id: String,
    /// The display name.
    pub name: String,
    /// Whether the provider takes appointments.
    pub active: bool,
    /// Specialty codes (hcas codes, [`SPECIALTY_SYSTEM`]).
    pub specialties: Vec<String>,
    /// Languages spoken (BCP 47).
    pub languages: Vec<String>,
    /// The id of the `Location` where the provider sees patients.
    pub location: Option<String>,
}

impl FhirPractitioner {
    /// The active provider `id` named `name`.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            active: true,
            specialties: Vec::new(),
            languages: Vec::new(),
            location: None,
        }
    }

    /// Active (takes appointments) or not.
    #[must_use]
    pub const fn with_active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// With these specialty codes.
    #[must_use]
    pub fn with_specialties(mut self, codes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.specialties = codes.into_iter().map(Into::into).collect();
        self
    }

    /// Speaking these languages (BCP 47).
    #[must_use]
    pub fn with_languages(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.languages = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Seeing patients at the `Location` with this id.
    #[must_use]
    pub fn with_location(mut self, location_id: Option<String>) -> Self {
        self.location = location_id;
        self
    }
}

/// A `CodeableConcept` with one coding of `system`.
pub(crate) fn concept(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

/// A non-empty FHIR string, or an error at `path`.
fn text(s: &str, path: &str) -> Result<String> {
    if s.trim().is_empty() {
        Err(invalid(path, "is blank; FHIR strings are never empty"))
    } else {
        Ok(s.to_string())
    }
}

/// The R4 `Patient`.
///
/// ```
/// use hcas_core::fhir::{FhirPatient, patient_to_fhir};
/// let p = FhirPatient::new("X1", "Alice").with_contact(Some("a@example.org".into()), None, Some("en".into()));
/// let fhir = patient_to_fhir(&p).unwrap();
/// assert_eq!(fhir["telecom"][0]["system"], "email");
/// assert_eq!(fhir["communication"][0]["language"]["coding"][0]["code"], "en");
/// ```
///
/// # Errors
/// `invalid_request` naming the hcas field for an id FHIR cannot carry or a
/// blank name.
pub fn patient_to_fhir(p: &FhirPatient) -> Result<Value> {
    check_id(&p.id, "id")?;
    let mut out = Map::new();
    out.insert("resourceType".into(), "Patient".into());
    out.insert("id".into(), p.id.clone().into());
    out.insert("name".into(), json!([{ "text": text(&p.name, "name")? }]));
    let mut telecom = Vec::new();
    for (system, value) in [("email", &p.email), ("phone", &p.phone)] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            telecom.push(json!({ "system": system, "value": v }));
        }
    }
    if !telecom.is_empty() {
        out.insert("telecom".into(), telecom.into());
    }
    if let Some(d) = p.birth_date {
        out.insert("birthDate".into(), d.format("%Y-%m-%d").to_string().into());
    }
    if let Some(l) = p.language.as_deref().filter(|l| !l.trim().is_empty()) {
        out.insert(
            "communication".into(),
            json!([{ "language": concept(LANGUAGE_SYSTEM, l) }]),
        );
    }
    Ok(Value::Object(out))
}

/// The R4 `Practitioner` of a provider.
///
/// # Errors
/// `invalid_request` for an id FHIR cannot carry or a blank name.
pub fn practitioner_to_fhir(p: &FhirPractitioner) -> Result<Value> {
    check_id(&p.id, "id")?;
    let mut out = Map::new();
    out.insert("resourceType".into(), "Practitioner".into());
    out.insert("id".into(), p.id.clone().into());
    out.insert("active".into(), p.active.into());
    out.insert("name".into(), json!([{ "text": text(&p.name, "name")? }]));
    let languages: Vec<Value> = p
        .languages
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| concept(LANGUAGE_SYSTEM, l))
        .collect();
    if !languages.is_empty() {
        out.insert("communication".into(), languages.into());
    }
    Ok(Value::Object(out))
}

/// The R4 `PractitionerRole` of a provider: the provider's one role, with
/// its specialties, id = the provider's id.
///
/// # Errors
/// `invalid_request` for an id FHIR cannot carry.
pub fn practitioner_role_to_fhir(p: &FhirPractitioner) -> Result<Value> {
    check_id(&p.id, "id")?;
    let mut out = Map::new();
    out.insert("resourceType".into(), "PractitionerRole".into());
    out.insert("id".into(), p.id.clone().into());
    out.insert("active".into(), p.active.into());
    out.insert(
        "practitioner".into(),
        json!({ "reference": format!("Practitioner/{}", p.id) }),
    );
    let specialties: Vec<Value> = p
        .specialties
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| concept(SPECIALTY_SYSTEM, s))
        .collect();
    if !specialties.is_empty() {
        out.insert("specialty".into(), specialties.into());
    }
    if let Some(l) = &p.location {
        check_id(l, "location")?;
        out.insert(
            "location".into(),
            json!([{ "reference": format!("Location/{l}") }]),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_writes_what_it_knows_and_nothing_blank() {
        let p = FhirPatient::new("X1", "Alice")
            .with_birth_date(NaiveDate::from_ymd_opt(2010, 2, 3))
            .with_contact(None, Some("+351 1".into()), Some(" ".into()));
        let v = patient_to_fhir(&p).unwrap();
        assert_eq!(v["birthDate"], "2010-02-03");
        assert_eq!(v["telecom"].as_array().unwrap().len(), 1);
        assert_eq!(
            v["telecom"][0],
            json!({"system": "phone", "value": "+351 1"})
        );
        assert!(v.get("communication").is_none());
        assert_eq!(
            patient_to_fhir(&FhirPatient::new("X1", " "))
                .unwrap_err()
                .code(),
            ErrorCode::InvalidRequest
        );
        assert!(patient_to_fhir(&FhirPatient::new("a_b", "A")).is_err());
    }

    #[test]
    fn practitioner_and_role() {
        let p = FhirPractitioner::new("P1", "Dr Lee")
            .with_active(false)
            .with_languages(["en", "pt-BR"])
            .with_specialties(["cardiology"]);
        let v = practitioner_to_fhir(&p).unwrap();
        assert_eq!(v["active"], false);
        assert_eq!(v["communication"][1]["coding"][0]["code"], "pt-BR");
        let r = practitioner_role_to_fhir(&p).unwrap();
        assert_eq!(r["id"], "P1");
        assert_eq!(r["specialty"][0]["coding"][0]["system"], SPECIALTY_SYSTEM);
        let none = practitioner_role_to_fhir(&FhirPractitioner::new("P2", "X")).unwrap();
        assert!(none.get("specialty").is_none());
    }
}
