//! The consent engine (`hcas_core::consent`) behind the package's `Consent`,
//! `CompiledConsents`, `decide` and `bookingAllowed`, with the FHIR R4/R5
//! `Consent` mapping (`hcas_core::fhir::consent`), with the napi addon's
//! names and shapes (bindings/node/src/consent.rs). Conversions only:
//! consents, requests and policies arrive as JSON text in the shapes of
//! `CONSENT.md`, parsed and validated by the engine's own `from_json`;
//! answers go back as JSON text of the engine's serde shapes.
//!
//! A list of consents reaches here as a [`NativeConsentList`] the adapter
//! fills (a JS array of exported objects can only be moved, not borrowed).

use hcas_core::consent::{
    Accessor, AppointmentKind, BookingQuestion, CompiledConsents, Consent, ConsentRequest,
    RolePolicy,
};
use hcas_core::{ErrorCode, Timestamp};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::typed::instant;
use crate::{Result, error, field, js, parse, required_string, string_field};

/// A value as JSON text for the wrapper.
fn text<T: Serialize>(v: &T, what: &str) -> Result<String> {
    serde_json::to_string(v).map_err(|e| {
        error(
            ErrorCode::InvalidRequest,
            format!("could not encode the {what}: {e}"),
        )
    })
}

/// The wire name (serde name) of one vocabulary value.
fn wire<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `"r4"` or `"r5"` as whether it is R5; anything else is `invalid_request`.
#[cfg(feature = "fhir")]
fn r5(version: &str) -> Result<bool> {
    match version {
        "r4" => Ok(false),
        "r5" => Ok(true),
        other => Err(error(
            ErrorCode::InvalidRequest,
            format!("version: `{other}` is not a FHIR version (give \"r4\" or \"r5\")"),
        )),
    }
}

/// The policy of JSON text (`CONSENT.md`), or the default one for `None`.
fn policy(policy_json: Option<String>) -> Result<RolePolicy> {
    match policy_json {
        None => Ok(RolePolicy::default()),
        Some(t) => js(RolePolicy::from_json(&parse(&t, "policy")?, "policy")),
    }
}

/// A request of JSON text (`CONSENT.md`), parsed and validated.
fn request(request_json: &str) -> Result<ConsentRequest> {
    js(ConsentRequest::from_json(
        &parse(request_json, "request")?,
        "request",
    ))
}

/// One consent (`CONSENT.md`), validated by the engine.
#[wasm_bindgen]
pub struct NativeConsent(Consent);

#[wasm_bindgen]
impl NativeConsent {
    /// Parse and validate a consent from its JSON text; `at` names it in
    /// messages (`consents[2]`, default `consent`).
    #[wasm_bindgen(constructor)]
    pub fn new(consent_json: &str, at: Option<String>) -> Result<NativeConsent> {
        let at = at.as_deref().unwrap_or("consent");
        let value = parse(consent_json, at)?;
        js(Consent::from_json(&value, at)).map(Self)
    }

    /// The consent a FHIR `Consent` resource (JSON text) describes; `version`
    /// is `"r4"` or `"r5"`. Only with the `fhir` feature (docs/wasm.md: the
    /// mapping costs ~25 KB gzip).
    #[cfg(feature = "fhir")]
    #[wasm_bindgen(js_name = fromFhir)]
    pub fn from_fhir(resource_json: &str, version: &str) -> Result<NativeConsent> {
        let r5 = r5(version)?;
        let value = parse(resource_json, "resource")?;
        let consent = if r5 {
            hcas_core::fhir::consent_from_fhir_r5(&value)
        } else {
            hcas_core::fhir::consent_from_fhir_r4(&value)
        };
        js(consent).map(Self)
    }

    /// The FHIR `Consent` resource of this consent (`"r4"` or `"r5"`), as
    /// JSON text. Only with the `fhir` feature.
    #[cfg(feature = "fhir")]
    #[wasm_bindgen(js_name = toFhir)]
    pub fn to_fhir(&self, version: &str) -> Result<String> {
        let out = if r5(version)? {
            hcas_core::fhir::consent_to_fhir_r5(&self.0)
        } else {
            hcas_core::fhir::consent_to_fhir_r4(&self.0)
        };
        text(&js(out)?, "FHIR resource")
    }

    /// The consent as JSON text in the shape of `CONSENT.md`.
    #[wasm_bindgen(js_name = toJsonText)]
    pub fn to_json_text(&self) -> Result<String> {
        text(&self.0, "consent")
    }

    /// Its id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// The patient whose data it governs.
    #[wasm_bindgen(getter)]
    pub fn patient(&self) -> String {
        self.0.patient.clone()
    }

    /// Its status's wire name (`active`, `inactive`, `draft`, `entered-in-error`).
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> String {
        wire(&self.0.status)
    }

    /// Its base decision's wire name (`permit`, `deny`).
    #[wasm_bindgen(getter)]
    pub fn decision(&self) -> String {
        wire(&self.0.decision)
    }

    /// When it was made, an ISO string in UTC.
    #[wasm_bindgen(getter)]
    pub fn date(&self) -> String {
        self.0.date.to_string()
    }
}

/// Consents gathered one at a time by the adapter (copies).
#[wasm_bindgen]
#[derive(Default)]
pub struct NativeConsentList(Vec<Consent>);

#[wasm_bindgen]
impl NativeConsentList {
    /// An empty list.
    #[wasm_bindgen(constructor)]
    pub fn new() -> NativeConsentList {
        Self::default()
    }

    /// Add a copy of `consent`.
    pub fn add(&mut self, consent: &NativeConsent) {
        self.0.push(consent.0.clone());
    }
}

/// Decide a request (JSON text) against `consents` under the policy of JSON
/// text (`undefined`: the default), by the five steps of `CONSENT.md`: the
/// engine's `Decision` as JSON text.
#[wasm_bindgen(js_name = decideJsonList)]
pub fn decide_json_list(
    request_json: &str,
    consents: &NativeConsentList,
    policy_json: Option<String>,
) -> Result<String> {
    let request = request(request_json)?;
    let policy = policy(policy_json)?;
    let d = js(hcas_core::consent::decide(&request, &consents.0, &policy))?;
    text(&d, "decision")
}

/// The parts of a booking question `{ actorJson, patient, at, kind,
/// patientIsMinor, guardian }` (the napi addon's object), checked.
struct Question {
    actor: Accessor,
    patient: String,
    at: Timestamp,
    kind: AppointmentKind,
    minor: bool,
    guardian: Option<String>,
}

impl Question {
    /// Check the wrapper's question.
    fn new(q: &JsValue) -> Result<Self> {
        let actor_json = required_string(q, "actorJson", "actor")?;
        let actor = js(Accessor::try_from(parse(&actor_json, "actor")?))?;
        let kind_text = required_string(q, "kind", "kind")?;
        let kind: AppointmentKind = serde_json::from_value(Value::String(kind_text.clone()))
            .map_err(|_| {
                error(
                    ErrorCode::InvalidRequest,
                    format!(
                        "kind: `{kind_text}` is not an appointment kind ({})",
                        crate::constants::appointment_kinds().join(", ")
                    ),
                )
            })?;
        let minor = match field(q, "patientIsMinor")? {
            None => false,
            Some(v) => v.as_bool().ok_or_else(|| {
                error(
                    ErrorCode::InvalidRequest,
                    "patientIsMinor: not a boolean".to_string(),
                )
            })?,
        };
        let guardian = string_field(q, "guardian", "guardian")?;
        if guardian.is_some() && !minor {
            return Err(error(
                ErrorCode::InvalidRequest,
                "guardian: a guardian is only asked for a minor; pass patientIsMinor: true"
                    .to_string(),
            ));
        }
        let at = field(q, "at")?.unwrap_or(JsValue::UNDEFINED);
        Ok(Self {
            actor,
            patient: required_string(q, "patient", "patient")?,
            at: instant(&at, "at")?,
            kind,
            minor,
            guardian,
        })
    }

    /// The engine's question, borrowing from this one.
    fn question(&self) -> BookingQuestion<'_> {
        let q = BookingQuestion::new(&self.actor, &self.patient, self.at).with_kind(self.kind);
        if self.minor {
            q.for_minor(self.guardian.as_deref())
        } else {
            q
        }
    }
}

/// Whether the appointment of `question` may be booked, asked as consent
/// questions of `consents` under the policy of JSON text: the engine's
/// `BookingVerdict` as JSON text.
#[wasm_bindgen(js_name = bookingAllowedJsonList)]
pub fn booking_allowed_json_list(
    question: &JsValue,
    consents: &NativeConsentList,
    policy_json: Option<String>,
) -> Result<String> {
    let q = Question::new(question)?;
    let policy = policy(policy_json)?;
    let v = js(hcas_core::consent::booking_allowed(
        &consents.0,
        &policy,
        &q.question(),
    ))?;
    text(&v, "verdict")
}

/// One patient's consents and a policy compiled once to answer many requests
/// about that patient fast (`hcas_core::consent::CompiledConsents`).
#[wasm_bindgen]
pub struct NativeCompiledConsents(CompiledConsents);

#[wasm_bindgen]
impl NativeCompiledConsents {
    /// Compile `patient`'s consents among `consents` under the policy of
    /// JSON text (`undefined`: the default).
    #[wasm_bindgen(constructor)]
    pub fn new(
        patient: &str,
        consents: &NativeConsentList,
        policy_json: Option<String>,
    ) -> Result<NativeCompiledConsents> {
        let policy = policy(policy_json)?;
        js(CompiledConsents::new(patient, &consents.0, &policy)).map(Self)
    }

    /// The patient these consents are about.
    #[wasm_bindgen(getter)]
    pub fn patient(&self) -> String {
        self.0.patient().to_string()
    }

    /// How many consents count (the patient's active ones).
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Decide a request (JSON text) about this patient: the `Decision` as
    /// JSON text.
    #[wasm_bindgen(js_name = decideJson)]
    pub fn decide_json(&self, request_json: &str) -> Result<String> {
        let d = js(self.0.decide(&request(request_json)?))?;
        text(&d, "decision")
    }

    /// Step 4 alone: the decision of the patient's consents as JSON text, or
    /// `null` (JSON) when none applies.
    #[wasm_bindgen(js_name = byConsentJson)]
    pub fn by_consent_json(&self, request_json: &str) -> Result<String> {
        let d = js(self.0.by_consent(&request(request_json)?))?;
        text(&d, "decision")
    }

    /// Whether the appointment of `question` may be booked: the
    /// `BookingVerdict` as JSON text.
    #[wasm_bindgen(js_name = bookingAllowedJson)]
    pub fn booking_allowed_json(&self, question: &JsValue) -> Result<String> {
        let q = Question::new(question)?;
        let v = js(self.0.booking_allowed(&q.question()))?;
        text(&v, "verdict")
    }
}
