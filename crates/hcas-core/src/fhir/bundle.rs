//! FHIR R4 `Bundle` (type `searchset`) and `OperationOutcome`: the
//! envelopes of a search answer and of an error.
//!
//! ```
//! use hcas_core::fhir::{SearchEntry, operation_outcome, searchset};
//! let patient = serde_json::json!({"resourceType": "Patient", "id": "X1"});
//! let b = searchset(3, "http://h/fhir/r4/Patient?_count=1", Some("http://h/fhir/r4/Patient?_count=1&_offset=1"),
//!     vec![SearchEntry::matched("http://h/fhir/r4", patient)]);
//! assert_eq!(b["total"], 3);
//! assert_eq!(b["link"][1]["relation"], "next");
//! assert_eq!(b["entry"][0]["fullUrl"], "http://h/fhir/r4/Patient/X1");
//! let oo = operation_outcome("not-found", "not_found", "no such patient");
//! assert_eq!(oo["issue"][0]["details"]["coding"][0]["code"], "not_found");
//! ```

use super::*;
use crate::booking::Conflict;

/// The code system of hcas's stable error codes, in
/// `OperationOutcome.issue.details.coding`.
pub const ERROR_SYSTEM: &str = "https://hcas.dev/fhir/CodeSystem/error";

/// One entry of a searchset.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SearchEntry {
    /// `fullUrl`: the base and `Type/id`.
    pub full_url: String,
    /// The resource.
    pub resource: Value,
    /// `match` (it matched the search) or `include` (`_include`d).
    pub mode: &'static str,
}

impl SearchEntry {
    fn new(base: &str, resource: Value, mode: &'static str) -> Self {
        let ty = resource["resourceType"].as_str().unwrap_or_default();
        let id = resource["id"].as_str().unwrap_or_default();
        Self {
            full_url: format!("{base}/{ty}/{id}"),
            resource,
            mode,
        }
    }

    /// A resource that matched, under the FHIR base `base`.
    #[must_use]
    pub fn matched(base: &str, resource: Value) -> Self {
        Self::new(base, resource, "match")
    }

    /// A resource `_include`d by a match.
    #[must_use]
    pub fn included(base: &str, resource: Value) -> Self {
        Self::new(base, resource, "include")
    }
}

/// A `searchset` Bundle: `total` matches in all, this page's `entries`, and
/// the `self` and (when there is one) `next` links.
#[must_use]
pub fn searchset(
    total: usize,
    self_url: &str,
    next_url: Option<&str>,
    entries: Vec<SearchEntry>,
) -> Value {
    let mut out = searchset_page(self_url, next_url, entries);
    out["total"] = json!(total);
    out
}

/// A `searchset` Bundle without `total` (optional in R4): for a search
/// that pages by a cursor and does not count every match.
#[must_use]
pub fn searchset_page(self_url: &str, next_url: Option<&str>, entries: Vec<SearchEntry>) -> Value {
    let mut link = vec![json!({ "relation": "self", "url": self_url })];
    if let Some(next) = next_url {
        link.push(json!({ "relation": "next", "url": next }));
    }
    let mut out = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": link,
    });
    if !entries.is_empty() {
        out["entry"] = entries
            .into_iter()
            .map(|e| {
                json!({
                    "fullUrl": e.full_url,
                    "resource": e.resource,
                    "search": { "mode": e.mode },
                })
            })
            .collect::<Vec<_>>()
            .into();
    }
    out
}

/// An `OperationOutcome` with one error issue: the FHIR `issue_type`
/// (`invalid`, `not-found`, `forbidden`, `login`, `throttled`, ...), the
/// hcas stable `code` in `details.coding` ([`ERROR_SYSTEM`]) and `text` in
/// `details.text` and `diagnostics`.
#[must_use]
pub fn operation_outcome(issue_type: &str, code: &str, text: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": issue_type,
            "details": {
                "coding": [{ "system": ERROR_SYSTEM, "code": code }],
                "text": text,
            },
            "diagnostics": text,
        }],
    })
}

/// The `OperationOutcome` of a booking conflict: the error issue of
/// [`operation_outcome`] (`conflict`), then one issue per conflicting
/// booking, naming it (`Appointment/<id>`) and the resources it holds
/// (`Practitioner/<id>`, `Patient/<id>`, ...), by booking id.
///
/// ```
/// use hcas_core::booking::Conflict;
/// use hcas_core::fhir::conflict_outcome;
/// let c = [Conflict::new("provider:P1", vec!["b2".into(), "b1".into()]),
///          Conflict::new("patient:X1", vec!["b1".into()])];
/// let oo = conflict_outcome("taken", &c);
/// assert_eq!(oo["issue"].as_array().unwrap().len(), 3);
/// assert_eq!(oo["issue"][1]["diagnostics"], "Appointment/b1 holds Practitioner/P1, Patient/X1");
/// assert_eq!(oo["issue"][2]["diagnostics"], "Appointment/b2 holds Practitioner/P1");
/// ```
#[must_use]
pub fn conflict_outcome(text: &str, conflicts: &[Conflict]) -> Value {
    let mut by_booking: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    for c in conflicts {
        let held =
            resource_to_reference(&c.resource, "resource").unwrap_or_else(|_| c.resource.clone());
        for b in &c.with {
            by_booking.entry(b.as_str()).or_default().push(held.clone());
        }
    }
    let mut out = operation_outcome("conflict", "conflict", text);
    if let Some(issues) = out["issue"].as_array_mut() {
        for (booking, held) in by_booking {
            let what = format!("Appointment/{booking} holds {}", held.join(", "));
            issues.push(json!({
                "severity": "error",
                "code": "conflict",
                "details": {
                    "coding": [{ "system": ERROR_SYSTEM, "code": "conflict" }],
                    "text": what,
                },
                "diagnostics": what,
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_page_has_no_entry_element() {
        let b = searchset(0, "http://h/x", None, vec![]);
        assert!(b.get("entry").is_none());
        assert_eq!(b["link"].as_array().unwrap().len(), 1);
        let inc = SearchEntry::included("http://h", json!({"resourceType": "Schedule", "id": "S"}));
        let b = searchset(1, "http://h/x", None, vec![inc]);
        assert_eq!(b["entry"][0]["search"]["mode"], "include");
    }
}
