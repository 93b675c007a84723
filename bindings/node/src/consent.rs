//! The consent engine (`hcas_core::consent`) behind the package's `Consent`,
//! `CompiledConsents`, `decide` and `bookingAllowed` (index.js), with the
//! FHIR R4/R5 `Consent` mapping (`hcas_core::fhir::consent`). Conversions
//! only: consents, requests and policies arrive as JSON text in the shapes of
//! `CONSENT.md` (the wrapper builds the request's text from its option
//! object) and are parsed and validated by the engine's own `from_json`;
//! answers go back as JSON text of the engine's serde shapes (`Decision`,
//! `BookingVerdict`), which the wrapper freezes.

use hcas_core::consent::{
    Accessor, Action, AppointmentKind, BookingQuestion, Category, CompiledConsents, Consent,
    ConsentRequest, Purpose, Role, RolePolicy,
};
use hcas_core::{Error, ErrorCode};
use hcas_js_shapes::vocab::wire;
use napi::bindgen_prelude::ClassInstance;
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

use crate::typed::{InstantArg, instant};
use crate::{Result, parse, to_js};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| to_js(&e))
}

/// A value as JSON text for the wrapper.
fn text<T: Serialize>(v: &T, what: &str) -> Result<String> {
    serde_json::to_string(v).map_err(|e| {
        to_js(&Error::new(
            ErrorCode::InvalidRequest,
            format!("could not encode the {what}: {e}"),
        ))
    })
}

/// `"r4"` or `"r5"` as whether it is R5; anything else is `invalid_request`.
fn r5(version: &str) -> Result<bool> {
    match version {
        "r4" => Ok(false),
        "r5" => Ok(true),
        other => Err(to_js(&Error::new(
            ErrorCode::InvalidRequest,
            format!("version: `{other}` is not a FHIR version (give \"r4\" or \"r5\")"),
        ))),
    }
}

/// The policy of JSON text (`CONSENT.md`), or the default one for `None`.
fn policy(policy_json: Option<&str>) -> Result<RolePolicy> {
    match policy_json {
        None => Ok(RolePolicy::default()),
        Some(t) => js(RolePolicy::from_json(&parse(t, "policy")?, "policy")),
    }
}

/// A request of JSON text (`CONSENT.md`), parsed and validated.
fn request(request_json: &str) -> Result<ConsentRequest> {
    js(ConsentRequest::from_json(
        &parse(request_json, "request")?,
        "request",
    ))
}

/// The engine values of the consents given.
fn consents(list: &[ClassInstance<NativeConsent>]) -> Vec<Consent> {
    list.iter().map(|c| c.0.clone()).collect()
}

/// One consent (`CONSENT.md`), validated by the engine.
#[napi]
pub struct NativeConsent(Consent);

#[napi]
impl NativeConsent {
    /// Parse and validate a consent from its JSON text; `at` names it in
    /// messages (`consents[2]`, default `consent`).
    #[napi(constructor)]
    pub fn new(consent_json: String, at: Option<String>) -> Result<Self> {
        let at = at.as_deref().unwrap_or("consent");
        let value = parse(&consent_json, at)?;
        js(Consent::from_json(&value, at)).map(Self)
    }

    /// The consent a FHIR `Consent` resource (JSON text) describes; `version`
    /// is `"r4"` or `"r5"`.
    #[napi(factory)]
    pub fn from_fhir(resource_json: String, version: String) -> Result<Self> {
        let r5 = r5(&version)?;
        let value = parse(&resource_json, "resource")?;
        let consent = if r5 {
            hcas_core::fhir::consent_from_fhir_r5(&value)
        } else {
            hcas_core::fhir::consent_from_fhir_r4(&value)
        };
        js(consent).map(Self)
    }

    /// The FHIR `Consent` resource of this consent (`"r4"` or `"r5"`), as
    /// JSON text.
    #[napi]
    pub fn to_fhir(&self, version: String) -> Result<String> {
        let out = if r5(&version)? {
            hcas_core::fhir::consent_to_fhir_r5(&self.0)
        } else {
            hcas_core::fhir::consent_to_fhir_r4(&self.0)
        };
        text(&js(out)?, "FHIR resource")
    }

    /// The consent as JSON text in the shape of `CONSENT.md`.
    #[napi]
    pub fn to_json_text(&self) -> Result<String> {
        text(&self.0, "consent")
    }

    /// Its id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// The patient whose data it governs.
    #[napi(getter)]
    pub fn patient(&self) -> String {
        self.0.patient.clone()
    }

    /// Its status's wire name (`active`, `inactive`, `draft`, `entered-in-error`).
    #[napi(getter)]
    pub fn status(&self) -> String {
        wire(&[self.0.status]).concat()
    }

    /// Its base decision's wire name (`permit`, `deny`).
    #[napi(getter)]
    pub fn decision(&self) -> String {
        wire(&[self.0.decision]).concat()
    }

    /// When it was made (decides between applicable consents), an ISO string in UTC.
    #[napi(getter)]
    pub fn date(&self) -> String {
        self.0.date.to_string()
    }
}

/// Decide a request (JSON text, `CONSENT.md`) against `consents` (any
/// patients'; only the request's patient's count) under the policy of JSON
/// text (`None`: the default), by the five steps of `CONSENT.md`. Answers
/// the engine's `Decision` as JSON text.
#[napi]
pub fn decide_json(
    request_json: String,
    consents: Vec<ClassInstance<NativeConsent>>,
    policy_json: Option<String>,
) -> Result<String> {
    let request = request(&request_json)?;
    let policy = policy(policy_json.as_deref())?;
    let d = js(hcas_core::consent::decide(
        &request,
        &self::consents(&consents),
        &policy,
    ))?;
    text(&d, "decision")
}

/// "May this appointment be booked?" (`hcas_core::consent::BookingQuestion`)
/// with its actor as JSON text (`{ id, roles, org }`), the kind's wire name
/// and, for a minor, the guardian's id.
#[napi(object, object_to_js = false)]
pub struct NativeBookingQuestion {
    /// The actor who books, JSON text of `{ id, roles, org }`.
    pub actor_json: String,
    /// For whom.
    pub patient: String,
    /// When the booking is made.
    pub at: InstantArg,
    /// `in_person` or `telehealth`.
    pub kind: String,
    /// Whether the patient is a minor.
    pub patient_is_minor: bool,
    /// The guardian who books or authorises the booking (a minor only).
    pub guardian: Option<String>,
}

/// The parts of a booking question, checked.
struct Question {
    actor: Accessor,
    patient: String,
    at: hcas_core::Timestamp,
    kind: AppointmentKind,
    minor: bool,
    guardian: Option<String>,
}

impl Question {
    /// Check the wrapper's question.
    fn new(q: NativeBookingQuestion) -> Result<Self> {
        let actor = js(Accessor::try_from(parse(&q.actor_json, "actor")?))?;
        let kind: AppointmentKind =
            serde_json::from_value(Value::String(q.kind.clone())).map_err(|_| {
                to_js(&Error::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "kind: `{}` is not an appointment kind ({})",
                        q.kind,
                        appointment_kinds().join(", ")
                    ),
                ))
            })?;
        if q.guardian.is_some() && !q.patient_is_minor {
            return Err(to_js(&Error::new(
                ErrorCode::InvalidRequest,
                "guardian: a guardian is only asked for a minor; pass patientIsMinor: true",
            )));
        }
        Ok(Self {
            actor,
            patient: q.patient,
            at: instant(&q.at, "at")?,
            kind,
            minor: q.patient_is_minor,
            guardian: q.guardian,
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
/// questions of `consents` under the policy of JSON text (`None`: the
/// default). Answers the engine's `BookingVerdict` as JSON text.
#[napi]
pub fn booking_allowed_json(
    question: NativeBookingQuestion,
    consents: Vec<ClassInstance<NativeConsent>>,
    policy_json: Option<String>,
) -> Result<String> {
    let q = Question::new(question)?;
    let policy = policy(policy_json.as_deref())?;
    let v = js(hcas_core::consent::booking_allowed(
        &self::consents(&consents),
        &policy,
        &q.question(),
    ))?;
    text(&v, "verdict")
}

/// One patient's consents and a policy compiled once to answer many requests
/// about that patient fast (`hcas_core::consent::CompiledConsents`).
#[napi]
pub struct NativeCompiledConsents(CompiledConsents);

#[napi]
impl NativeCompiledConsents {
    /// Compile `patient`'s consents among `consents` under the policy of
    /// JSON text (`None`: the default).
    #[napi(constructor)]
    pub fn new(
        patient: String,
        consents: Vec<ClassInstance<NativeConsent>>,
        policy_json: Option<String>,
    ) -> Result<Self> {
        let policy = policy(policy_json.as_deref())?;
        js(CompiledConsents::new(
            &patient,
            &self::consents(&consents),
            &policy,
        ))
        .map(Self)
    }

    /// The patient these consents are about.
    #[napi(getter)]
    pub fn patient(&self) -> String {
        self.0.patient().to_string()
    }

    /// How many consents count (the patient's active ones).
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// Decide a request (JSON text) about this patient by the five steps:
    /// the `Decision` as JSON text.
    #[napi]
    pub fn decide_json(&self, request_json: String) -> Result<String> {
        let d = js(self.0.decide(&request(&request_json)?))?;
        text(&d, "decision")
    }

    /// Step 4 alone: the decision of the patient's consents as JSON text, or
    /// `null` (JSON) when none applies.
    #[napi]
    pub fn by_consent_json(&self, request_json: String) -> Result<String> {
        let d = js(self.0.by_consent(&request(&request_json)?))?;
        text(&d, "decision")
    }

    /// Whether the appointment of `question` may be booked: the
    /// `BookingVerdict` as JSON text.
    #[napi]
    pub fn booking_allowed_json(&self, question: NativeBookingQuestion) -> Result<String> {
        let q = Question::new(question)?;
        let v = js(self.0.booking_allowed(&q.question()))?;
        text(&v, "verdict")
    }
}

/// The roles' wire names (`patient`, `doctor`, ...), in the engine's order.
#[napi]
pub fn roles() -> Vec<String> {
    wire(Role::ALL)
}

/// The data categories' wire names, in the engine's order.
#[napi]
pub fn categories() -> Vec<String> {
    wire(Category::ALL)
}

/// The actions' wire names (`read`, `write`).
#[napi]
pub fn actions() -> Vec<String> {
    wire(Action::ALL)
}

/// The purposes of use (HL7 v3 ActReason codes: `TREAT`, ...).
#[napi]
pub fn purposes() -> Vec<String> {
    wire(Purpose::ALL)
}

/// The effects' wire names (`permit`, `deny`).
#[napi]
pub fn effects() -> Vec<String> {
    hcas_js_shapes::vocab::effects()
}

/// The consent statuses' wire names; only `active` consents count.
#[napi]
pub fn consent_statuses() -> Vec<String> {
    hcas_js_shapes::vocab::consent_statuses()
}

/// The bases of a decision (the step that decided), in the order of the steps.
#[napi]
pub fn bases() -> Vec<String> {
    hcas_js_shapes::vocab::bases()
}

/// The appointment kinds' wire names (`in_person`, `telehealth`).
#[napi]
pub fn appointment_kinds() -> Vec<String> {
    hcas_js_shapes::vocab::appointment_kinds()
}

/// The `check` names of a booking refusal, in the order the checks are made
/// (the engine's serde tags of `Refusal`).
#[napi]
pub fn refusal_checks() -> Vec<String> {
    hcas_js_shapes::vocab::REFUSAL_CHECKS
        .iter()
        .map(|s| (*s).to_string())
        .collect()
}
