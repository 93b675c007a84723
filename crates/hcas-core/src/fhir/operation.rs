//! The IHE ITI Scheduling operations' FHIR shapes (`Appointment/$find`,
//! `$hold`, `$book`): the `Parameters` resource they take, and the proposed
//! Appointments `$find` offers.
//!
//! A proposed Appointment is not stored: its id carries what `$hold` and
//! `$book` need to make it (start, practitioner, patient), as
//! `<unix seconds of start>-<length of the practitioner id>-<practitioner id><patient id>`,
//! e.g. `1894197600-6-dr-leepat-alice`. hcas ids may contain `-` and `.`,
//! so the practitioner id's length (not a separator) says where it ends.
//! When the two ids are too long for a FHIR id (64 characters) there is no
//! such id.
//!
//! ```
//! use hcas_core::fhir::operation::{parse_proposal_id, proposal_id};
//! let start = "2030-01-09T14:00:00Z".parse().unwrap();
//! let id = proposal_id("dr-lee", "pat-alice", start).unwrap();
//! assert_eq!(id, "1894197600-6-dr-leepat-alice");
//! let p = parse_proposal_id(&id).unwrap();
//! assert_eq!((p.provider.as_str(), p.patient.as_str(), p.start), ("dr-lee", "pat-alice", start));
//! assert!(parse_proposal_id("8c7e2f4a-1b2c-4d5e-8f90-123456789abc").is_none());
//! ```

use super::*;

/// The R4 elements of `Parameters` hcas reads.
const PARAMETERS_ELEMENTS: &[&str] = &["resourceType", "id", "meta", "language", "parameter"];

/// One `Parameters.parameter`: its name and value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Parameter {
    /// `name`.
    pub name: String,
    /// The value element's name: `valueDateTime`, `valueReference`, ...,
    /// or `resource`.
    pub element: String,
    /// The value (a JSON primitive, a datatype object or a resource).
    pub value: Value,
}

impl Parameter {
    /// A parameter with a string value (`valueString`), as a query string
    /// gives it.
    #[must_use]
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            element: "valueString".into(),
            value: Value::String(value.into()),
        }
    }

    /// The value as text: a primitive's text, a `Reference`'s `reference`,
    /// a `Coding`'s `system|code`, or `None` for any other datatype.
    #[must_use]
    pub fn text(&self) -> Option<String> {
        match (&self.value, self.element.as_str()) {
            (Value::String(s), _) => Some(s.clone()),
            (Value::Number(n), _) => Some(n.to_string()),
            (Value::Bool(b), _) => Some(b.to_string()),
            (Value::Object(o), "valueReference") => o
                .get("reference")
                .and_then(Value::as_str)
                .map(str::to_string),
            (Value::Object(o), "valueCoding") => {
                let code = o.get("code").and_then(Value::as_str)?;
                Some(match o.get("system").and_then(Value::as_str) {
                    Some(system) => format!("{system}|{code}"),
                    None => code.to_string(),
                })
            }
            _ => None,
        }
    }
}

/// The parameters of a `Parameters` resource, in order.
///
/// ```
/// use hcas_core::fhir::operation::read_parameters;
/// let p = read_parameters(&serde_json::json!({"resourceType": "Parameters", "parameter": [
///     {"name": "start", "valueDate": "2030-01-09"},
///     {"name": "practitioner", "valueReference": {"reference": "Practitioner/dr-lee"}}]})).unwrap();
/// assert_eq!(p[1].text().as_deref(), Some("Practitioner/dr-lee"));
/// assert!(read_parameters(&serde_json::json!({"resourceType": "Patient"})).is_err());
/// ```
///
/// # Errors
/// `invalid_request` naming the JSON path: not a `Parameters`, a parameter
/// without a `name`, with no value or more than one, or with `part`
/// (hcas's operations take no nested parameters).
pub fn read_parameters(value: &Value) -> Result<Vec<Parameter>> {
    let o = resource(value, "Parameters", PARAMETERS_ELEMENTS)?;
    let mut out = Vec::new();
    for (i, p) in array(o, "parameter", "")?.iter().enumerate() {
        let path = format!("parameter[{i}]");
        let po = object(p, &path)?;
        let name = required(string(po, "name", &path)?, &path, "name")?;
        if po.contains_key("part") {
            return Err(invalid(
                &field(&path, "part"),
                format!("`{name}`: these operations take no nested parameters"),
            ));
        }
        let mut values = po
            .iter()
            .filter(|(k, _)| k.starts_with("value") || k.as_str() == "resource");
        let (element, value) = match (values.next(), values.next()) {
            (Some(v), None) => v,
            (None, _) => return Err(invalid(&path, format!("`{name}` has no value"))),
            (Some(_), Some(_)) => {
                return Err(invalid(&path, format!("`{name}` has more than one value")));
            }
        };
        out.push(Parameter {
            name: name.to_string(),
            element: element.clone(),
            value: value.clone(),
        });
    }
    Ok(out)
}

/// What a proposed Appointment's id says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Proposal {
    /// The practitioner (hcas provider) id.
    pub provider: String,
    /// The patient id.
    pub patient: String,
    /// The start.
    pub start: Timestamp,
}

/// The id of the proposed Appointment of `provider` with `patient` at
/// `start`, or `None` when it would not be a FHIR id (see the module docs).
#[must_use]
pub fn proposal_id(provider: &str, patient: &str, start: Timestamp) -> Option<String> {
    let id = format!("{}-{}-{provider}{patient}", start.unix(), provider.len());
    (is_fhir_id(provider) && is_fhir_id(patient) && is_fhir_id(&id)).then_some(id)
}

/// What a proposed Appointment's id says, or `None` when `id` is not one.
#[must_use]
pub fn parse_proposal_id(id: &str) -> Option<Proposal> {
    let (unix, rest) = id.split_once('-')?;
    let (len, ids) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(unix) || !digits(len) || len.starts_with('0') {
        return None;
    }
    let len: usize = len.parse().ok()?;
    let (provider, patient) = (ids.get(..len)?, ids.get(len..)?);
    if !is_fhir_id(provider) || !is_fhir_id(patient) {
        return None;
    }
    let start = Timestamp::from_unix(unix.parse().ok()?).ok()?;
    Some(Proposal {
        provider: provider.to_string(),
        patient: patient.to_string(),
        start,
    })
}

/// The proposed (`status` = `proposed`) Appointment of `provider` with
/// `patient` over `slot`, with its [`proposal_id`].
///
/// # Errors
/// `invalid_request` when the ids make no FHIR id (see the module docs).
pub fn proposed_appointment(provider: &str, patient: &str, slot: Interval) -> Result<Value> {
    let id = proposal_id(provider, patient, slot.start()).ok_or_else(|| {
        Error::request(format!(
            "practitioner `{provider}` and patient `{patient}` make no proposed Appointment id \
             (together at most 50 characters)"
        ))
    })?;
    let booking = Booking::new(
        id,
        vec![format!("provider:{provider}"), format!("patient:{patient}")],
        slot,
    )
    .status(Status::Proposed);
    appointment_to_fhir(&booking)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_dashes_and_dots_round_trip() {
        let t = Timestamp::from_unix(1_894_197_600).unwrap();
        for (a, b) in [("a-1", "2-b"), ("x.1-2", "3"), ("P", "X1"), ("1", "1")] {
            let id = proposal_id(a, b, t).unwrap();
            let p = parse_proposal_id(&id).unwrap();
            assert_eq!(
                (p.provider.as_str(), p.patient.as_str(), p.start),
                (a, b, t)
            );
        }
        assert!(proposal_id(&"p".repeat(30), &"q".repeat(30), t).is_none());
        for bad in [
            "", "1-2", "x-1-ab", "1-0-ab", "1-01-ab", "1-5-ab", "1-2-ab", "1-1-a b",
        ] {
            assert!(parse_proposal_id(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_proposal_is_a_proposed_appointment() {
        let slot = Interval::parse("2030-01-09T14:00:00Z", "2030-01-09T14:30:00Z").unwrap();
        let a = proposed_appointment("P1", "X1", slot).unwrap();
        assert_eq!(a["status"], "proposed");
        assert_eq!(a["participant"][0]["actor"]["reference"], "Practitioner/P1");
        assert_eq!(a["participant"][1]["actor"]["reference"], "Patient/X1");
        assert_eq!(
            parse_proposal_id(a["id"].as_str().unwrap())
                .unwrap()
                .patient,
            "X1"
        );
    }

    #[test]
    fn parameters_refuse_parts_and_missing_values() {
        let read =
            |p: Value| read_parameters(&json!({"resourceType": "Parameters", "parameter": [p]}));
        assert!(
            read(json!({"name": "a", "part": []}))
                .unwrap_err()
                .message()
                .contains("parameter[0].part")
        );
        assert!(read(json!({"name": "a"})).is_err());
        assert!(read(json!({"name": "a", "valueString": "x", "valueCode": "y"})).is_err());
        let p = read(json!({"name": "s", "valueCoding": {"system": "S", "code": "c"}})).unwrap();
        assert_eq!(p[0].text().as_deref(), Some("S|c"));
        let p = read(json!({"name": "t", "valueTiming": {}})).unwrap();
        assert_eq!(p[0].text(), None);
    }
}
