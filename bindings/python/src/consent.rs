//! The consent engine (`hcas_core::consent`) as typed Python values:
//! `Period`, `Match`, `Provision`, `Consent` (with its FHIR R4/R5 mapping,
//! `hcas_core::fhir::consent`), `Accessor`, `BreakGlass`, `ConsentRequest`,
//! `Rights`, `RolePolicy`, `Decision`, `BookingQuestion`, `Refusal`,
//! `BookingVerdict` and `CompiledConsents`, with the functions `decide` and
//! `booking_allowed`. The vocabularies are the `enum.Enum`s of
//! `python/hcas/__init__.py` (values: the engine's wire names, listed in
//! `hcas.CONSENT_VOCABULARY`); their wire names are accepted wherever a member
//! is. Builders become keyword constructors, which validate as the engine
//! does (`Consent::validate`, `ConsentRequestBuilder::build`, ...).

use std::hash::{Hash, Hasher};

use hcas_core::consent::{
    Accessor, Action, AppointmentKind, Basis, BookingQuestion, BookingVerdict, BreakGlass,
    Category, CompiledConsents, Consent, ConsentRequest, ConsentStatus, Decision, Effect, Match,
    Period, Provision, Purpose, Refusal, Rights, Role, RolePolicy,
};
use hcas_core::{ErrorCode, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyString, PyTuple};
use serde_json::Value;

use crate::convert;
use crate::errors::{IntoPyResult, error};

/// A vocabulary of the consent model, mirrored by the Python enum `ENUM`.
trait Vocab: Copy + 'static {
    /// The name of the `enum.Enum` in `hcas`.
    const ENUM: &'static str;
    /// Every value, in the engine's order.
    fn all() -> &'static [Self];
    /// The wire name (the engine's serde name).
    fn wire(self) -> String;
    /// The value of a wire name, if it is one.
    fn parse(text: &str) -> Option<Self>;
}

/// Implements [`Vocab`] with the engine's own serde names.
macro_rules! vocab {
    ($t:ty, $enum:literal, $all:expr) => {
        impl Vocab for $t {
            const ENUM: &'static str = $enum;
            fn all() -> &'static [Self] {
                $all
            }
            fn wire(self) -> String {
                match serde_json::to_value(self) {
                    Ok(Value::String(s)) => s,
                    _ => format!("{self:?}"),
                }
            }
            fn parse(text: &str) -> Option<Self> {
                serde_json::from_value::<$t>(Value::String(text.to_string())).ok()
            }
        }
    };
}

vocab!(Role, "Role", Role::ALL);
vocab!(Category, "Category", Category::ALL);
vocab!(Action, "Action", Action::ALL);
vocab!(Purpose, "Purpose", Purpose::ALL);
vocab!(Effect, "Effect", &[Effect::Permit, Effect::Deny]);
vocab!(
    ConsentStatus,
    "ConsentStatus",
    &[
        ConsentStatus::Active,
        ConsentStatus::Inactive,
        ConsentStatus::Draft,
        ConsentStatus::EnteredInError,
    ]
);
vocab!(
    Basis,
    "Basis",
    &[
        Basis::SelfAccess,
        Basis::Role,
        Basis::BreakGlass,
        Basis::Consent,
        Basis::Default,
    ]
);
vocab!(
    AppointmentKind,
    "AppointmentKind",
    &[AppointmentKind::InPerson, AppointmentKind::Telehealth]
);

/// The `check` names of a [`Refusal`] (its serde tag), in the order of the
/// checks.
const REFUSAL_CHECKS: [&str; 4] = ["access", "telehealth", "guardian_missing", "guardian"];

fn names<T: Vocab>() -> Vec<String> {
    T::all().iter().map(|v| v.wire()).collect()
}

/// `{enum name: [wire names]}` for every consent vocabulary: the values of
/// the enums of `hcas/__init__.py`.
pub(crate) fn vocabulary(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(Role::ENUM, names::<Role>())?;
    d.set_item(Category::ENUM, names::<Category>())?;
    d.set_item(Action::ENUM, names::<Action>())?;
    d.set_item(Purpose::ENUM, names::<Purpose>())?;
    d.set_item(Effect::ENUM, names::<Effect>())?;
    d.set_item(ConsentStatus::ENUM, names::<ConsentStatus>())?;
    d.set_item(Basis::ENUM, names::<Basis>())?;
    d.set_item(AppointmentKind::ENUM, names::<AppointmentKind>())?;
    d.set_item("RefusalCheck", REFUSAL_CHECKS.to_vec())?;
    Ok(d)
}

/// The text of a member of an `enum.Enum` of wire names, or of a `str`.
fn wire_text(obj: &Bound<'_, PyAny>) -> Option<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_cow().ok().map(|c| c.into_owned());
    }
    obj.getattr("value").ok()?.extract::<String>().ok()
}

/// A vocabulary value: its `hcas` enum member or its wire name
/// (`invalid_request` otherwise).
fn code<T: Vocab>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<T> {
    code_or(obj, name, ErrorCode::InvalidRequest)
}

/// [`code`], refusing with `ec` (`invalid_consent` inside a consent, as the
/// engine's JSON does).
fn code_or<T: Vocab>(obj: &Bound<'_, PyAny>, name: &str, ec: ErrorCode) -> PyResult<T> {
    wire_text(obj).and_then(|t| T::parse(&t)).ok_or_else(|| {
        let shown = wire_text(obj).map_or_else(|| convert::type_name(obj), |t| format!("{t:?}"));
        error(
            ec,
            format!(
                "{name} must be an hcas.{} or its wire name ({}), got {shown}",
                T::ENUM,
                names::<T>().join(", ")
            ),
        )
    })
}

/// A vocabulary value as its `hcas` enum member.
fn code_to_py<T: Vocab>(py: Python<'_>, v: T) -> PyResult<Bound<'_, PyAny>> {
    py.import("hcas")?.getattr(T::ENUM)?.call1((v.wire(),))
}

fn codes_to_py<'py, T: Vocab>(py: Python<'py>, items: &[T]) -> PyResult<Bound<'py, PyTuple>> {
    let members = items
        .iter()
        .map(|v| code_to_py(py, *v))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, members)
}

/// `None` (absent) or an iterable of vocabulary values.
fn opt_codes<T: Vocab>(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
    ec: ErrorCode,
) -> PyResult<Option<Vec<T>>> {
    obj.filter(|o| !o.is_none())
        .map(|o| codes(o, name, ec))
        .transpose()
}

fn codes<T: Vocab>(obj: &Bound<'_, PyAny>, name: &str, ec: ErrorCode) -> PyResult<Vec<T>> {
    let what = format!("hcas.{} members or wire names", T::ENUM);
    convert::list(obj, name, &what, ec)?
        .iter()
        .enumerate()
        .map(|(i, v)| code_or(v, &format!("{name}[{i}]"), ec))
        .collect()
}

/// `None` (absent) or an iterable of `str`.
fn opt_strings(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
    ec: ErrorCode,
) -> PyResult<Option<Vec<String>>> {
    obj.filter(|o| !o.is_none())
        .map(|o| convert::strings(o, name, ec))
        .transpose()
}

/// Items of a class from an iterable (`None`: none).
fn values<T>(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
    class: &str,
    ec: ErrorCode,
) -> PyResult<Vec<T>>
where
    T: pyo3::PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync + Clone,
{
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    convert::list(obj, name, class, ec)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.cast::<T>().map(|b| b.get().clone()).map_err(|_| {
                error(
                    ec,
                    format!(
                        "{name}[{i}] must be an {class}, got {}",
                        convert::type_name(v)
                    ),
                )
            })
        })
        .collect()
}

/// `Hash` for a wrapper of an engine value that has none, through the
/// value's JSON (`serde`): equal values have equal JSON.
macro_rules! json_hash {
    ($t:ty) => {
        impl Hash for $t {
            fn hash<H: Hasher>(&self, state: &mut H) {
                serde_json::to_string(&self.0)
                    .unwrap_or_default()
                    .hash(state);
            }
        }
    };
}

fn wires<T: Vocab>(items: &[T]) -> Vec<String> {
    items.iter().map(|v| v.wire()).collect()
}

// --- Period -----------------------------------------------------------------

/// A half-open period `[start, end)` of aware datetimes; either end may be
/// open (`None`). The end must be after the start (`InvalidConsentError`).
#[pyclass(name = "Period", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyPeriod(Period);

#[pymethods]
impl PyPeriod {
    #[new]
    #[pyo3(signature = (start = None, end = None))]
    fn new(start: Option<&Bound<'_, PyAny>>, end: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let start = convert::opt_instant(start, "start")?;
        let end = convert::opt_instant(end, "end")?;
        match (start, end) {
            (Some(s), Some(e)) => Period::between(s, e).py().map(Self),
            (Some(s), None) => Ok(Self(Period::since(s))),
            (None, Some(e)) => Ok(Self(Period::until(e))),
            (None, None) => Ok(Self(Period::default())),
        }
    }

    /// The period from `start` (inclusive) on, for ever.
    #[staticmethod]
    fn since(start: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self(Period::since(convert::instant(start, "start")?)))
    }

    /// The period up to `end` (exclusive), since always.
    #[staticmethod]
    fn until(end: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self(Period::until(convert::instant(end, "end")?)))
    }

    /// The inclusive start (aware, UTC), or `None`: since always.
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        convert::opt_datetime(py, self.0.start)
    }

    /// The exclusive end (aware, UTC), or `None`: for ever.
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        convert::opt_datetime(py, self.0.end)
    }

    /// Whether the aware instant `t` lies in `[start, end)`.
    fn contains(&self, t: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.0.contains(convert::instant(t, "t")?))
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            Option<Bound<'py, PyDateTime>>,
            Option<Bound<'py, PyDateTime>>,
        ),
    > {
        let py = slf.py();
        let me = slf.get();
        convert::reduce_new(slf, (me.start(py)?, me.end(py)?))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Period(start={}, end={})",
            convert::opt_instant_repr(self.0.start),
            convert::opt_instant_repr(self.0.end)
        )
    }
}

// --- Match ------------------------------------------------------------------

/// The conditions of a consent's `scope` or of a provision. It holds when
/// every field it has holds; a list holds when any of its values matches;
/// an absent field (`None`) always holds. A field that needs a value the
/// request does not carry (`data_period` without `data_date`, `labels` on
/// unlabelled data) does not hold. Lists must not be empty
/// (`InvalidConsentError`: leave the field out to match anything).
#[pyclass(name = "Match", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyMatch(Match);

json_hash!(PyMatch);

#[pymethods]
impl PyMatch {
    #[new]
    #[pyo3(signature = (
        actors = None, roles = None, orgs = None, purposes = None, categories = None,
        actions = None, labels = None, period = None, data_period = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        actors: Option<&Bound<'_, PyAny>>,
        roles: Option<&Bound<'_, PyAny>>,
        orgs: Option<&Bound<'_, PyAny>>,
        purposes: Option<&Bound<'_, PyAny>>,
        categories: Option<&Bound<'_, PyAny>>,
        actions: Option<&Bound<'_, PyAny>>,
        labels: Option<&Bound<'_, PyAny>>,
        period: Option<PyRef<'_, PyPeriod>>,
        data_period: Option<PyRef<'_, PyPeriod>>,
    ) -> PyResult<Self> {
        let ec = ErrorCode::InvalidConsent;
        let mut m = Match::any();
        m.actors = opt_strings(actors, "actors", ec)?;
        m.roles = opt_codes(roles, "roles", ec)?;
        m.orgs = opt_strings(orgs, "orgs", ec)?;
        m.purposes = opt_codes(purposes, "purposes", ec)?;
        m.categories = opt_codes(categories, "categories", ec)?;
        m.actions = opt_codes(actions, "actions", ec)?;
        m.labels = opt_strings(labels, "labels", ec)?;
        m.period = period.map(|p| p.0);
        m.data_period = data_period.map(|p| p.0);
        m.validate().py()?;
        Ok(Self(m))
    }

    /// Accessor ids, or `None`: any.
    #[getter]
    fn actors<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .actors
            .as_ref()
            .map(|l| PyTuple::new(py, l))
            .transpose()
    }

    /// Roles (any of the actor's), or `None`: any.
    #[getter]
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .roles
            .as_deref()
            .map(|l| codes_to_py(py, l))
            .transpose()
    }

    /// Organisations (the actor's), or `None`: any.
    #[getter]
    fn orgs<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .orgs
            .as_ref()
            .map(|l| PyTuple::new(py, l))
            .transpose()
    }

    /// Purposes of use, or `None`: any.
    #[getter]
    fn purposes<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .purposes
            .as_deref()
            .map(|l| codes_to_py(py, l))
            .transpose()
    }

    /// Data categories, or `None`: any.
    #[getter]
    fn categories<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .categories
            .as_deref()
            .map(|l| codes_to_py(py, l))
            .transpose()
    }

    /// Actions, or `None`: any.
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .actions
            .as_deref()
            .map(|l| codes_to_py(py, l))
            .transpose()
    }

    /// Security labels (the data carries any of them), or `None`: any data.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .labels
            .as_ref()
            .map(|l| PyTuple::new(py, l))
            .transpose()
    }

    /// When the access happens (`at`), or `None`: any time.
    #[getter]
    fn period(&self) -> Option<PyPeriod> {
        self.0.period.map(PyPeriod)
    }

    /// When the data was recorded (`data_date`), or `None`: any data.
    #[getter]
    fn data_period(&self) -> Option<PyPeriod> {
        self.0.data_period.map(PyPeriod)
    }

    /// Whether the match holds for `request`.
    fn holds(&self, request: PyRef<'_, PyConsentRequest>) -> bool {
        self.0.holds(&request.0)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let args = PyTuple::new(
            py,
            [
                me.actors(py)?.map(Bound::into_any),
                me.roles(py)?.map(Bound::into_any),
                me.orgs(py)?.map(Bound::into_any),
                me.purposes(py)?.map(Bound::into_any),
                me.categories(py)?.map(Bound::into_any),
                me.actions(py)?.map(Bound::into_any),
                me.labels(py)?.map(Bound::into_any),
                me.period()
                    .map(|p| Bound::new(py, p).map(Bound::into_any))
                    .transpose()?,
                me.data_period()
                    .map(|p| Bound::new(py, p).map(Bound::into_any))
                    .transpose()?,
            ],
        )?;
        convert::reduce_new(slf, args)
    }

    fn __repr__(&self) -> String {
        match_repr("hcas.Match", &self.0, "")
    }
}

/// `name(field=..., ...)` with the fields a match has, then `more`.
fn match_repr(name: &str, m: &Match, more: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(l) = &m.actors {
        parts.push(format!("actors={l:?}"));
    }
    if let Some(l) = &m.roles {
        parts.push(format!("roles={:?}", wires(l)));
    }
    if let Some(l) = &m.orgs {
        parts.push(format!("orgs={l:?}"));
    }
    if let Some(l) = &m.purposes {
        parts.push(format!("purposes={:?}", wires(l)));
    }
    if let Some(l) = &m.categories {
        parts.push(format!("categories={:?}", wires(l)));
    }
    if let Some(l) = &m.actions {
        parts.push(format!("actions={:?}", wires(l)));
    }
    if let Some(l) = &m.labels {
        parts.push(format!("labels={l:?}"));
    }
    if let Some(p) = m.period {
        parts.push(format!("period={}", PyPeriod(p).__repr__()));
    }
    if let Some(p) = m.data_period {
        parts.push(format!("data_period={}", PyPeriod(p).__repr__()));
    }
    if !more.is_empty() {
        parts.push(more.to_string());
    }
    format!("{name}({})", parts.join(", "))
}

// --- Provision --------------------------------------------------------------

/// An exception to its parent (the consent or a provision), with the
/// opposite effect: it applies when `when` holds (`None`: always); its own
/// `provisions` are exceptions to it.
#[pyclass(name = "Provision", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyProvision(Provision);

json_hash!(PyProvision);

fn provisions_to_py<'py>(py: Python<'py>, list: &[Provision]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        list.iter()
            .map(|p| Bound::new(py, PyProvision(p.clone())))
            .collect::<PyResult<Vec<_>>>()?,
    )
}

fn provisions_repr(list: &[Provision]) -> String {
    format!(
        "provisions={}",
        convert::list_repr(list.iter().map(provision_repr))
    )
}

fn provision_repr(p: &Provision) -> String {
    let more = if p.provisions.is_empty() {
        String::new()
    } else {
        provisions_repr(&p.provisions)
    };
    if p.when == Match::any() {
        format!("hcas.Provision({more})")
    } else {
        format!(
            "hcas.Provision({}{}{more})",
            match_repr("hcas.Match", &p.when, ""),
            if more.is_empty() { "" } else { ", " }
        )
    }
}

#[pymethods]
impl PyProvision {
    #[new]
    #[pyo3(signature = (when = None, provisions = None))]
    fn new(
        when: Option<PyRef<'_, PyMatch>>,
        provisions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut p = Provision::new(when.map(|m| m.0.clone()).unwrap_or_default());
        for sub in values::<PyProvision>(
            provisions,
            "provisions",
            "hcas.Provision",
            ErrorCode::InvalidConsent,
        )? {
            p = p.with_provision(sub.0);
        }
        p.validate().py()?;
        Ok(Self(p))
    }

    /// When the exception applies.
    #[getter]
    fn when(&self) -> PyMatch {
        PyMatch(self.0.when.clone())
    }

    /// The exceptions to this exception (each with this one's opposite effect).
    #[getter]
    fn provisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        provisions_to_py(py, &self.0.provisions)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (PyMatch, Bound<'py, PyTuple>)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.when(), me.provisions(slf.py())?))
    }

    fn __repr__(&self) -> String {
        provision_repr(&self.0)
    }
}

// --- Consent ----------------------------------------------------------------

/// A patient's consent (FHIR R5 `Consent`, reduced to what a decision
/// needs): base effect `decision` given at `date` (aware), in force during
/// `period` (`None`: always), applying where `scope` holds (`None`:
/// everywhere), with `provisions` as exceptions. Only `ConsentStatus.ACTIVE`
/// consents count. Checked as the engine does (`InvalidConsentError` naming
/// the field).
#[pyclass(name = "Consent", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyConsent(Consent);

json_hash!(PyConsent);

/// A consent with the optional parts, validated.
#[allow(clippy::too_many_arguments)]
fn consent(
    id: String,
    patient: String,
    date: &Bound<'_, PyAny>,
    decision: Effect,
    status: Option<&Bound<'_, PyAny>>,
    period: Option<PyRef<'_, PyPeriod>>,
    scope: Option<PyRef<'_, PyMatch>>,
    provisions: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyConsent> {
    let mut c = Consent::new(id, patient, convert::instant(date, "date")?, decision);
    if let Some(s) = status.filter(|s| !s.is_none()) {
        c = c.with_status(code_or(s, "status", ErrorCode::InvalidConsent)?);
    }
    if let Some(p) = period {
        c = c.with_period(p.0);
    }
    if let Some(s) = scope {
        c = c.with_scope(s.0.clone());
    }
    for p in values::<PyProvision>(
        provisions,
        "provisions",
        "hcas.Provision",
        ErrorCode::InvalidConsent,
    )? {
        c = c.with_provision(p.0);
    }
    c.validate().py()?;
    Ok(PyConsent(c))
}

/// `"r4"` or `"r5"`: whether the FHIR version is R5.
fn r5(version: &str) -> PyResult<bool> {
    match version {
        "r4" | "R4" => Ok(false),
        "r5" | "R5" => Ok(true),
        other => Err(error(
            ErrorCode::InvalidRequest,
            format!("version must be \"r4\" or \"r5\", got {other:?}"),
        )),
    }
}

#[pymethods]
impl PyConsent {
    #[new]
    #[pyo3(signature = (id, patient, date, decision, status = None, period = None, scope = None, provisions = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: String,
        patient: String,
        date: &Bound<'_, PyAny>,
        decision: &Bound<'_, PyAny>,
        status: Option<&Bound<'_, PyAny>>,
        period: Option<PyRef<'_, PyPeriod>>,
        scope: Option<PyRef<'_, PyMatch>>,
        provisions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let decision = code_or(decision, "decision", ErrorCode::InvalidConsent)?;
        consent(
            id, patient, date, decision, status, period, scope, provisions,
        )
    }

    /// A consent with base effect `Effect.PERMIT` (opt-in).
    #[staticmethod]
    #[pyo3(signature = (id, patient, date, *, status = None, period = None, scope = None, provisions = None))]
    fn permit(
        id: String,
        patient: String,
        date: &Bound<'_, PyAny>,
        status: Option<&Bound<'_, PyAny>>,
        period: Option<PyRef<'_, PyPeriod>>,
        scope: Option<PyRef<'_, PyMatch>>,
        provisions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        consent(
            id,
            patient,
            date,
            Effect::Permit,
            status,
            period,
            scope,
            provisions,
        )
    }

    /// A consent with base effect `Effect.DENY` (opt-out).
    #[staticmethod]
    #[pyo3(signature = (id, patient, date, *, status = None, period = None, scope = None, provisions = None))]
    fn deny(
        id: String,
        patient: String,
        date: &Bound<'_, PyAny>,
        status: Option<&Bound<'_, PyAny>>,
        period: Option<PyRef<'_, PyPeriod>>,
        scope: Option<PyRef<'_, PyMatch>>,
        provisions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        consent(
            id,
            patient,
            date,
            Effect::Deny,
            status,
            period,
            scope,
            provisions,
        )
    }

    /// The consent a FHIR `Consent` resource (a dict of its JSON) describes;
    /// `version` is `"r4"` or `"r5"` (`hcas_core::fhir::consent_from_fhir_r4`
    /// / `_r5`). Errors name the JSON path: `InvalidRequestError` for what
    /// hcas cannot represent, `InvalidDatetimeError` for a malformed date,
    /// `InvalidConsentError` for a period whose end is not after its start.
    #[staticmethod]
    #[pyo3(signature = (resource, version = "r4"))]
    fn from_fhir(py: Python<'_>, resource: &Bound<'_, PyAny>, version: &str) -> PyResult<Self> {
        let r5 = r5(version)?;
        let value = crate::json::to_json(resource, "resource")?;
        py.detach(|| {
            if r5 {
                hcas_core::fhir::consent_from_fhir_r5(&value)
            } else {
                hcas_core::fhir::consent_from_fhir_r4(&value)
            }
        })
        .py()
        .map(Self)
    }

    /// The FHIR `Consent` resource of this consent, as a dict of its JSON;
    /// `version` is `"r4"` or `"r5"` (`hcas_core::fhir::consent_to_fhir_r4`
    /// / `_r5`). What the version cannot carry raises `InvalidRequestError`
    /// naming the field (e.g. a `scope.period` in R4).
    #[pyo3(signature = (version = "r4"))]
    fn to_fhir<'py>(&self, py: Python<'py>, version: &str) -> PyResult<Bound<'py, PyAny>> {
        let r5 = r5(version)?;
        let c = &self.0;
        let out = py
            .detach(|| {
                if r5 {
                    hcas_core::fhir::consent_to_fhir_r5(c)
                } else {
                    hcas_core::fhir::consent_to_fhir_r4(c)
                }
            })
            .py()?;
        crate::json::to_py(py, &out)
    }

    /// Its unique id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The patient whose data it governs.
    #[getter]
    fn patient(&self) -> &str {
        &self.0.patient
    }

    /// Its status, an `hcas.ConsentStatus` (only active consents count).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.status)
    }

    /// When it was given (aware, UTC): the latest applicable consent decides.
    #[getter]
    fn date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.0.date)?.into_any())
    }

    /// When it is in force, or `None`: always.
    #[getter]
    fn period(&self) -> Option<PyPeriod> {
        self.0.period.map(PyPeriod)
    }

    /// Its base effect, an `hcas.Effect`.
    #[getter]
    fn decision<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.decision)
    }

    /// Where it applies at all, or `None`: everywhere.
    #[getter]
    fn scope(&self) -> Option<PyMatch> {
        self.0.scope.clone().map(PyMatch)
    }

    /// The exceptions to the base effect.
    #[getter]
    fn provisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        provisions_to_py(py, &self.0.provisions)
    }

    /// Whether it applies to `request` (step 4): active, the request's
    /// patient's, `at` inside its period, its scope holds.
    fn applies(&self, request: PyRef<'_, PyConsentRequest>) -> bool {
        self.0.applies(&request.0)
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            String,
            Bound<'py, PyAny>,
            String,
            String,
            Option<PyPeriod>,
            Option<PyMatch>,
            Bound<'py, PyTuple>,
        ),
    > {
        let py = slf.py();
        let me = slf.get();
        convert::reduce_new(
            slf,
            (
                me.0.id.clone(),
                me.0.patient.clone(),
                me.date(py)?,
                me.0.decision.wire(),
                me.0.status.wire(),
                me.period(),
                me.scope(),
                me.provisions(py)?,
            ),
        )
    }

    fn __repr__(&self) -> String {
        let c = &self.0;
        let mut parts = vec![
            format!("{:?}", c.id),
            format!("{:?}", c.patient),
            convert::instant_repr(c.date),
            format!("{:?}", c.decision.wire()),
            format!("status={:?}", c.status.wire()),
        ];
        if let Some(p) = c.period {
            parts.push(format!("period={}", PyPeriod(p).__repr__()));
        }
        if let Some(s) = &c.scope {
            parts.push(format!("scope={}", match_repr("hcas.Match", s, "")));
        }
        if !c.provisions.is_empty() {
            parts.push(provisions_repr(&c.provisions));
        }
        format!("hcas.Consent({})", parts.join(", "))
    }
}

// --- Accessor, BreakGlass, ConsentRequest -----------------------------------

/// Who asks: the actor `id` of organisation `org`, with `roles` (passing
/// the role gate with any one is enough; none passes no gate). A patient
/// acting on their own data has the patient's id and `Role.PATIENT`.
#[pyclass(name = "Accessor", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyAccessor(Accessor);

#[pymethods]
impl PyAccessor {
    #[new]
    #[pyo3(signature = (id, org, roles = None))]
    fn new(id: String, org: String, roles: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut a = Accessor::new(id, org);
        for r in opt_codes::<Role>(roles, "roles", ErrorCode::InvalidRequest)?.unwrap_or_default() {
            a = a.with_role(r);
        }
        a.validate().py()?;
        Ok(Self(a))
    }

    /// The actor's id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The actor's organisation.
    #[getter]
    fn org(&self) -> &str {
        &self.0.org
    }

    /// The actor's roles, `hcas.Role` members.
    #[getter]
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        codes_to_py(py, &self.0.roles)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, Vec<String>)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.0.id.clone(), me.0.org.clone(), wires(&me.0.roles)))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Accessor({:?}, {:?}, roles={:?})",
            self.0.id,
            self.0.org,
            wires(&self.0.roles)
        )
    }
}

/// An emergency override asked for by the actor at `started_at` (aware),
/// for `reason`. It lasts 60 minutes (`hcas.BREAK_GLASS_SECONDS`); a blank
/// reason is allowed here and refused by the decision (basis
/// `Basis.BREAK_GLASS`).
#[pyclass(name = "BreakGlass", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyBreakGlass(BreakGlass);

#[pymethods]
impl PyBreakGlass {
    #[new]
    fn new(reason: String, started_at: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self(BreakGlass::new(
            reason,
            convert::instant(started_at, "started_at")?,
        )))
    }

    /// Why.
    #[getter]
    fn reason(&self) -> &str {
        &self.0.reason
    }

    /// When the actor broke the glass (aware, UTC).
    #[getter]
    fn started_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.0.started_at)?.into_any())
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String, Bound<'py, PyAny>)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.0.reason.clone(), me.started_at(slf.py())?))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.BreakGlass({:?}, {})",
            self.0.reason,
            convert::instant_repr(self.0.started_at)
        )
    }
}

/// One access request: may `actor` do `action` on `patient`'s `category`
/// data for `purpose` at `at` (aware)? Optionally on data recorded at
/// `data_date` (aware), carrying security `labels`, authored by
/// `originator`, with a `break_glass` override. Checked as the engine's
/// builder does (`InvalidRequestError` naming the field).
#[pyclass(name = "ConsentRequest", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyConsentRequest(ConsentRequest);

json_hash!(PyConsentRequest);

#[pymethods]
impl PyConsentRequest {
    #[new]
    #[pyo3(signature = (
        actor, patient, category, action, purpose, at,
        data_date = None, labels = None, originator = None, break_glass = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        actor: PyRef<'_, PyAccessor>,
        patient: String,
        category: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        data_date: Option<&Bound<'_, PyAny>>,
        labels: Option<&Bound<'_, PyAny>>,
        originator: Option<String>,
        break_glass: Option<PyRef<'_, PyBreakGlass>>,
    ) -> PyResult<Self> {
        let mut b = ConsentRequest::builder(actor.0.clone(), patient)
            .access(code(action, "action")?, code(category, "category")?)
            .for_purpose(code(purpose, "purpose")?)
            .at(convert::instant(at, "at")?);
        if let Some(d) = convert::opt_instant(data_date, "data_date")? {
            b = b.data_date(d);
        }
        for l in opt_strings(labels, "labels", ErrorCode::InvalidRequest)?.unwrap_or_default() {
            b = b.label(l);
        }
        if let Some(o) = originator {
            b = b.originator(o);
        }
        if let Some(g) = break_glass {
            b = b.break_glass(g.0.clone());
        }
        b.build().py().map(Self)
    }

    /// Who asks.
    #[getter]
    fn actor(&self) -> PyAccessor {
        PyAccessor(self.0.actor.clone())
    }

    /// Whose data.
    #[getter]
    fn patient(&self) -> &str {
        &self.0.patient
    }

    /// Which data, an `hcas.Category`.
    #[getter]
    fn category<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.category)
    }

    /// Read or write, an `hcas.Action`.
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.action)
    }

    /// Why, an `hcas.Purpose`.
    #[getter]
    fn purpose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.purpose)
    }

    /// When the access happens (aware, UTC).
    #[getter]
    fn at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.0.at)?.into_any())
    }

    /// When the data was recorded (aware, UTC), if known.
    #[getter]
    fn data_date<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        convert::opt_datetime(py, self.0.data_date)
    }

    /// The data's security labels (empty: unlabelled).
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.labels)
    }

    /// Who authored the data, if known.
    #[getter]
    fn originator(&self) -> Option<&str> {
        self.0.originator.as_deref()
    }

    /// The break-glass override asked for, if any.
    #[getter]
    fn break_glass(&self) -> Option<PyBreakGlass> {
        self.0.break_glass.clone().map(PyBreakGlass)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let args = PyTuple::new(
            py,
            [
                Bound::new(py, me.actor())?.into_any(),
                PyString::new(py, &me.0.patient).into_any(),
                me.category(py)?,
                me.action(py)?,
                me.purpose(py)?,
                me.at(py)?,
                me.data_date(py)?
                    .map_or_else(|| py.None().into_bound(py), Bound::into_any),
                me.labels(py)?.into_any(),
                me.originator().map_or_else(
                    || py.None().into_bound(py),
                    |o| PyString::new(py, o).into_any(),
                ),
                me.break_glass()
                    .map(|g| Bound::new(py, g).map(Bound::into_any))
                    .transpose()?
                    .unwrap_or_else(|| py.None().into_bound(py)),
            ],
        )?;
        convert::reduce_new(slf, args)
    }

    fn __repr__(&self) -> String {
        let r = &self.0;
        let mut parts = vec![
            PyAccessor(r.actor.clone()).__repr__(),
            format!("{:?}", r.patient),
            format!("{:?}", r.category.wire()),
            format!("{:?}", r.action.wire()),
            format!("{:?}", r.purpose.wire()),
            convert::instant_repr(r.at),
        ];
        if r.data_date.is_some() {
            parts.push(format!(
                "data_date={}",
                convert::opt_instant_repr(r.data_date)
            ));
        }
        if !r.labels.is_empty() {
            parts.push(format!("labels={:?}", r.labels));
        }
        if let Some(o) = &r.originator {
            parts.push(format!("originator={o:?}"));
        }
        if let Some(g) = &r.break_glass {
            parts.push(format!(
                "break_glass={}",
                PyBreakGlass(g.clone()).__repr__()
            ));
        }
        format!("hcas.ConsentRequest({})", parts.join(", "))
    }
}

// --- Rights, RolePolicy -----------------------------------------------------

/// What one role may ever use: these categories, actions and purposes, in
/// every combination (a row of the role table).
#[pyclass(name = "Rights", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyRights(Rights);

json_hash!(PyRights);

#[pymethods]
impl PyRights {
    #[new]
    fn new(
        categories: &Bound<'_, PyAny>,
        actions: &Bound<'_, PyAny>,
        purposes: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self(Rights::new(
            codes::<Category>(categories, "categories", ErrorCode::InvalidRequest)?,
            codes::<Action>(actions, "actions", ErrorCode::InvalidRequest)?,
            codes::<Purpose>(purposes, "purposes", ErrorCode::InvalidRequest)?,
        )))
    }

    /// The row allowing every category, action and purpose.
    #[staticmethod]
    fn all() -> Self {
        Self(Rights::all())
    }

    /// The categories, `hcas.Category` members.
    #[getter]
    fn categories<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        codes_to_py(py, &self.0.categories)
    }

    /// The actions, `hcas.Action` members.
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        codes_to_py(py, &self.0.actions)
    }

    /// The purposes, `hcas.Purpose` members.
    #[getter]
    fn purposes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        codes_to_py(py, &self.0.purposes)
    }

    /// Whether the row allows this category, action and purpose.
    fn allows(
        &self,
        category: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        purpose: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        Ok(self.0.allows(
            code(category, "category")?,
            code(action, "action")?,
            code(purpose, "purpose")?,
        ))
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (Vec<String>, Vec<String>, Vec<String>)> {
        let me = &slf.get().0;
        convert::reduce_new(
            slf,
            (
                wires(&me.categories),
                wires(&me.actions),
                wires(&me.purposes),
            ),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Rights({:?}, {:?}, {:?})",
            wires(&self.0.categories),
            wires(&self.0.actions),
            wires(&self.0.purposes)
        )
    }
}

/// The organisation's role table (step 2): per role, the `Rights` it may
/// ever use; a role without a row may use nothing. `RolePolicy()` is the
/// default table of `CONSENT.md`; `RolePolicy({Role.DOCTOR: Rights(...)})`
/// replaces it with these rows.
#[pyclass(name = "RolePolicy", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyRolePolicy(RolePolicy);

json_hash!(PyRolePolicy);

#[pymethods]
impl PyRolePolicy {
    #[new]
    #[pyo3(signature = (roles = None))]
    fn new(roles: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let Some(roles) = roles.filter(|r| !r.is_none()) else {
            return Ok(Self(RolePolicy::default()));
        };
        let Ok(map) = roles.cast::<PyDict>() else {
            return Err(error(
                ErrorCode::InvalidRequest,
                format!(
                    "roles must be a dict of hcas.Role to hcas.Rights, got {}",
                    convert::type_name(roles)
                ),
            ));
        };
        let mut policy = RolePolicy::empty();
        for (k, v) in map.iter() {
            let role: Role = code(&k, "a key of roles")?;
            let rights = v.extract::<PyRef<'_, PyRights>>().map_err(|_| {
                error(
                    ErrorCode::InvalidRequest,
                    format!(
                        "roles[{:?}] must be an hcas.Rights, got {}",
                        role.wire(),
                        convert::type_name(&v)
                    ),
                )
            })?;
            policy = policy.with_role(role, rights.0.clone());
        }
        Ok(Self(policy))
    }

    /// The table without rows: no role may use anything.
    #[staticmethod]
    fn empty() -> Self {
        Self(RolePolicy::empty())
    }

    /// The rows, as a dict of `hcas.Role` to `hcas.Rights` (by role).
    #[getter]
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (role, rights) in &self.0.roles {
            d.set_item(code_to_py(py, *role)?, PyRights(rights.clone()))?;
        }
        Ok(d)
    }

    /// The row of `role`, or `None`.
    fn rights(&self, role: &Bound<'_, PyAny>) -> PyResult<Option<PyRights>> {
        Ok(self.0.rights(code(role, "role")?).cloned().map(PyRights))
    }

    /// A copy with `role`'s row set to `rights` (replacing the row it had).
    fn with_role(&self, role: &Bound<'_, PyAny>, rights: PyRef<'_, PyRights>) -> PyResult<Self> {
        Ok(Self(
            self.0
                .clone()
                .with_role(code(role, "role")?, rights.0.clone()),
        ))
    }

    /// A copy without a row for `role` (it may then use nothing).
    fn without_role(&self, role: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self(self.0.clone().without_role(code(role, "role")?)))
    }

    /// The role gate (step 2): whether any of the request's actor's roles
    /// may use its category, action and purpose.
    fn allows(&self, request: PyRef<'_, PyConsentRequest>) -> bool {
        self.0.allows(&request.0)
    }

    /// Pickled as its rows.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (Bound<'py, PyDict>,)> {
        convert::reduce_new(slf, (slf.get().roles(slf.py())?,))
    }

    fn __repr__(&self) -> String {
        let rows: Vec<String> = self
            .0
            .roles
            .iter()
            .map(|(role, rights)| {
                format!("{:?}: {}", role.wire(), PyRights(rights.clone()).__repr__())
            })
            .collect();
        format!("hcas.RolePolicy({{{}}})", rows.join(", "))
    }
}

// --- Decision ---------------------------------------------------------------

/// The answer to a `ConsentRequest`: `decision` (an `hcas.Effect`) on
/// `basis` (an `hcas.Basis`, the step that decided), the deciding
/// `consent`'s id (exactly with `Basis.CONSENT`), the `obligations` (sorted;
/// `hcas.AUDIT_BREAK_GLASS` for every break-glass request) and, with
/// `Basis.CONSENT`, the `path` of provision indices whose effect decided
/// (`()`: the consent's base decision).
#[pyclass(name = "Decision", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyDecision(Decision);

#[pymethods]
impl PyDecision {
    #[new]
    #[pyo3(signature = (decision, basis, consent = None, obligations = None, path = None))]
    fn new(
        decision: &Bound<'_, PyAny>,
        basis: &Bound<'_, PyAny>,
        consent: Option<String>,
        obligations: Option<&Bound<'_, PyAny>>,
        path: Option<Vec<usize>>,
    ) -> PyResult<Self> {
        let mut d = Decision::new(code(decision, "decision")?, code(basis, "basis")?);
        d.consent = consent;
        d.obligations =
            opt_strings(obligations, "obligations", ErrorCode::InvalidRequest)?.unwrap_or_default();
        d.path = path.unwrap_or_default();
        d.validate().py()?;
        Ok(Self(d))
    }

    /// Permit or deny, an `hcas.Effect`.
    #[getter]
    fn decision<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.decision)
    }

    /// The step that decided, an `hcas.Basis`.
    #[getter]
    fn basis<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.0.basis)
    }

    /// The deciding consent's id, exactly when the basis is `Basis.CONSENT`.
    #[getter]
    fn consent(&self) -> Option<&str> {
        self.0.consent.as_deref()
    }

    /// Obligation names, sorted.
    #[getter]
    fn obligations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.obligations)
    }

    /// With `Basis.CONSENT`: the provision indices, from the consent's
    /// top-level list down, whose effect decided; else `()`.
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.path)
    }

    /// Whether access is permitted.
    fn is_permit(&self) -> bool {
        self.0.is_permit()
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, Option<String>, Vec<String>, Vec<usize>)> {
        let d = &slf.get().0;
        convert::reduce_new(
            slf,
            (
                d.decision.wire(),
                d.basis.wire(),
                d.consent.clone(),
                d.obligations.clone(),
                d.path.clone(),
            ),
        )
    }

    fn __repr__(&self) -> String {
        let d = &self.0;
        format!(
            "hcas.Decision({:?}, {:?}{}, obligations={:?}, path={:?})",
            d.decision.wire(),
            d.basis.wire(),
            convert::kw_repr("consent", d.consent.as_ref().map(|c| format!("{c:?}"))),
            d.obligations,
            d.path
        )
    }
}

// --- booking_allowed --------------------------------------------------------

/// "May this appointment be booked?": `actor` books an appointment of
/// `kind` (`AppointmentKind.IN_PERSON` by default) for `patient` at `at`
/// (aware); for a minor (`patient_is_minor=True`), `guardian` is the id of
/// the guardian who books or authorises it.
#[pyclass(name = "BookingQuestion", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyBookingQuestion {
    actor: Accessor,
    patient: String,
    at: Timestamp,
    kind: AppointmentKind,
    patient_is_minor: bool,
    guardian: Option<String>,
}

impl PyBookingQuestion {
    /// The engine's question, borrowing from this one.
    fn question(&self) -> BookingQuestion<'_> {
        let q = BookingQuestion::new(&self.actor, &self.patient, self.at).with_kind(self.kind);
        if self.patient_is_minor {
            q.for_minor(self.guardian.as_deref())
        } else {
            q
        }
    }
}

#[pymethods]
impl PyBookingQuestion {
    #[new]
    #[pyo3(signature = (actor, patient, at, kind = None, patient_is_minor = false, guardian = None))]
    fn new(
        actor: PyRef<'_, PyAccessor>,
        patient: String,
        at: &Bound<'_, PyAny>,
        kind: Option<&Bound<'_, PyAny>>,
        patient_is_minor: bool,
        guardian: Option<String>,
    ) -> PyResult<Self> {
        if guardian.is_some() && !patient_is_minor {
            return Err(error(
                ErrorCode::InvalidRequest,
                "guardian: a guardian is only asked for a minor; pass patient_is_minor=True",
            ));
        }
        let kind = kind
            .filter(|k| !k.is_none())
            .map(|k| code(k, "kind"))
            .transpose()?
            .unwrap_or(AppointmentKind::InPerson);
        Ok(Self {
            actor: actor.0.clone(),
            patient,
            at: convert::instant(at, "at")?,
            kind,
            patient_is_minor,
            guardian,
        })
    }

    /// Who books.
    #[getter]
    fn actor(&self) -> PyAccessor {
        PyAccessor(self.actor.clone())
    }

    /// For whom.
    #[getter]
    fn patient(&self) -> &str {
        &self.patient
    }

    /// When the booking is made (aware, UTC): consents in force then count.
    #[getter]
    fn at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.at)?.into_any())
    }

    /// In person or telehealth, an `hcas.AppointmentKind`.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        code_to_py(py, self.kind)
    }

    /// Whether the patient is a minor (then a guardian is needed).
    #[getter]
    fn patient_is_minor(&self) -> bool {
        self.patient_is_minor
    }

    /// The id of the guardian who books or authorises the booking.
    #[getter]
    fn guardian(&self) -> Option<&str> {
        self.guardian.as_deref()
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            PyAccessor,
            String,
            Bound<'py, PyAny>,
            String,
            bool,
            Option<String>,
        ),
    > {
        let me = slf.get();
        convert::reduce_new(
            slf,
            (
                me.actor(),
                me.patient.clone(),
                me.at(slf.py())?,
                me.kind.wire(),
                me.patient_is_minor,
                me.guardian.clone(),
            ),
        )
    }

    fn __repr__(&self) -> String {
        let minor = if self.patient_is_minor {
            format!(
                ", patient_is_minor=True, guardian={}",
                self.guardian
                    .as_ref()
                    .map_or_else(|| "None".to_string(), |g| format!("{g:?}"))
            )
        } else {
            String::new()
        };
        format!(
            "hcas.BookingQuestion({}, {:?}, {}, kind={:?}{minor})",
            PyAccessor(self.actor.clone()).__repr__(),
            self.patient,
            convert::instant_repr(self.at),
            self.kind.wire()
        )
    }
}

/// The `check` name of a refusal (its serde tag).
fn refusal_check(r: &Refusal) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.get("check").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

fn refusal_decision(r: &Refusal) -> Option<&Decision> {
    match r {
        Refusal::Access { decision } => Some(decision),
        Refusal::Telehealth { decision } | Refusal::Guardian { decision } => decision.as_ref(),
        _ => None,
    }
}

/// One failed check of a booking: `check` (an `hcas.RefusalCheck`) and the
/// decision that failed it (`None` when no consent applied, and for
/// `RefusalCheck.GUARDIAN_MISSING`; always given for `RefusalCheck.ACCESS`).
#[pyclass(name = "Refusal", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyRefusal(Refusal);

impl Hash for PyRefusal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        refusal_check(&self.0).hash(state);
        refusal_decision(&self.0).hash(state);
    }
}

#[pymethods]
impl PyRefusal {
    #[new]
    #[pyo3(signature = (check, decision = None))]
    fn new(check: &Bound<'_, PyAny>, decision: Option<PyRef<'_, PyDecision>>) -> PyResult<Self> {
        let text = wire_text(check).unwrap_or_default();
        let decision = decision.map(|d| d.0.clone());
        let refusal = match (text.as_str(), decision) {
            ("access", Some(decision)) => Refusal::Access { decision },
            ("access", None) => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    "decision: is required for RefusalCheck.ACCESS (the decision that denied)",
                ));
            }
            ("telehealth", decision) => Refusal::Telehealth { decision },
            ("guardian", decision) => Refusal::Guardian { decision },
            ("guardian_missing", None) => Refusal::GuardianMissing,
            ("guardian_missing", Some(_)) => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    "decision: RefusalCheck.GUARDIAN_MISSING has no decision",
                ));
            }
            _ => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    format!(
                        "check must be an hcas.RefusalCheck or its wire name ({})",
                        REFUSAL_CHECKS.join(", ")
                    ),
                ));
            }
        };
        Ok(Self(refusal))
    }

    /// Which check failed, an `hcas.RefusalCheck`.
    #[getter]
    fn check<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("hcas")?
            .getattr("RefusalCheck")?
            .call1((refusal_check(&self.0),))
    }

    /// The decision that failed the check, if any.
    #[getter]
    fn decision(&self) -> Option<PyDecision> {
        refusal_decision(&self.0).cloned().map(PyDecision)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, Option<PyDecision>)> {
        let me = slf.get();
        convert::reduce_new(slf, (refusal_check(&me.0), me.decision()))
    }

    fn __repr__(&self) -> String {
        match refusal_decision(&self.0) {
            Some(d) => format!(
                "hcas.Refusal({:?}, {})",
                refusal_check(&self.0),
                PyDecision(d.clone()).__repr__()
            ),
            None => format!("hcas.Refusal({:?})", refusal_check(&self.0)),
        }
    }
}

/// The answer to a `BookingQuestion`: `allowed`, or every check that failed
/// (`refusals`, in the order the checks are made; empty exactly when allowed).
#[pyclass(name = "BookingVerdict", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyBookingVerdict(BookingVerdict);

impl Hash for PyBookingVerdict {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.allowed.hash(state);
        for r in &self.0.refusals {
            PyRefusal(r.clone()).hash(state);
        }
    }
}

#[pymethods]
impl PyBookingVerdict {
    #[new]
    #[pyo3(signature = (refusals = None))]
    fn new(refusals: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let refusals = values::<PyRefusal>(
            refusals,
            "refusals",
            "hcas.Refusal",
            ErrorCode::InvalidRequest,
        )?;
        Ok(Self(BookingVerdict::new(
            refusals.into_iter().map(|r| r.0).collect(),
        )))
    }

    /// Whether the booking may go ahead.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed
    }

    /// The failed checks (empty exactly when allowed).
    #[getter]
    fn refusals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.0
                .refusals
                .iter()
                .map(|r| Bound::new(py, PyRefusal(r.clone())))
                .collect::<PyResult<Vec<_>>>()?,
        )
    }

    /// True exactly when the booking is allowed.
    fn __bool__(&self) -> bool {
        self.0.allowed
    }

    /// Pickled as its refusals.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (Bound<'py, PyTuple>,)> {
        convert::reduce_new(slf, (slf.get().refusals(slf.py())?,))
    }

    fn __repr__(&self) -> String {
        let items = self
            .0
            .refusals
            .iter()
            .map(|r| PyRefusal(r.clone()).__repr__());
        format!("hcas.BookingVerdict({})", convert::list_repr(items))
    }
}

// --- functions and the compiled form ----------------------------------------

fn policy_of(policy: Option<PyRef<'_, PyRolePolicy>>) -> RolePolicy {
    policy.map_or_else(RolePolicy::default, |p| p.0.clone())
}

/// Decide `request` against `consents` (any patients'; only the request's
/// patient's count) under `policy` (`None`: the default `RolePolicy()`), by
/// the five steps of `CONSENT.md`. A malformed consent or two consents with
/// one id raise `InvalidConsentError`. The GIL is released while the
/// engine decides.
#[pyfunction]
#[pyo3(signature = (request, consents, policy = None))]
pub(crate) fn decide(
    py: Python<'_>,
    request: PyRef<'_, PyConsentRequest>,
    consents: &Bound<'_, PyAny>,
    policy: Option<PyRef<'_, PyRolePolicy>>,
) -> PyResult<PyDecision> {
    let consents: Vec<Consent> = values::<PyConsent>(
        Some(consents),
        "consents",
        "hcas.Consent",
        ErrorCode::InvalidRequest,
    )?
    .into_iter()
    .map(|c| c.0)
    .collect();
    let policy = policy_of(policy);
    let request = &request.0;
    py.detach(|| hcas_core::consent::decide(request, &consents, &policy))
        .py()
        .map(PyDecision)
}

/// Whether the appointment of `question` may be booked, asked as consent
/// questions of the patient's `consents` under `policy` (`None`: the
/// default); see the table in `docs/consent.md`. The GIL is released while
/// the engine decides.
#[pyfunction]
#[pyo3(signature = (question, consents, policy = None))]
pub(crate) fn booking_allowed(
    py: Python<'_>,
    question: PyRef<'_, PyBookingQuestion>,
    consents: &Bound<'_, PyAny>,
    policy: Option<PyRef<'_, PyRolePolicy>>,
) -> PyResult<PyBookingVerdict> {
    let consents: Vec<Consent> = values::<PyConsent>(
        Some(consents),
        "consents",
        "hcas.Consent",
        ErrorCode::InvalidRequest,
    )?
    .into_iter()
    .map(|c| c.0)
    .collect();
    let policy = policy_of(policy);
    let q = &*question;
    py.detach(|| hcas_core::consent::booking_allowed(&consents, &policy, &q.question()))
        .py()
        .map(PyBookingVerdict)
}

/// One patient's consents and a policy compiled once to answer many
/// requests about that patient fast (`hcas_core::consent::CompiledConsents`).
/// Not a value: equal only to itself, not picklable.
#[pyclass(name = "CompiledConsents", module = "hcas", frozen)]
pub(crate) struct PyCompiledConsents(CompiledConsents);

#[pymethods]
impl PyCompiledConsents {
    #[new]
    #[pyo3(signature = (patient, consents, policy = None))]
    fn new(
        py: Python<'_>,
        patient: String,
        consents: &Bound<'_, PyAny>,
        policy: Option<PyRef<'_, PyRolePolicy>>,
    ) -> PyResult<Self> {
        let consents: Vec<Consent> = values::<PyConsent>(
            Some(consents),
            "consents",
            "hcas.Consent",
            ErrorCode::InvalidRequest,
        )?
        .into_iter()
        .map(|c| c.0)
        .collect();
        let policy = policy_of(policy);
        py.detach(|| CompiledConsents::new(&patient, &consents, &policy))
            .py()
            .map(Self)
    }

    /// The patient these consents are about.
    #[getter]
    fn patient(&self) -> &str {
        self.0.patient()
    }

    /// How many consents count (the patient's active ones).
    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// Decide `request` (about this patient) by the five steps; the GIL is
    /// released while the engine decides.
    fn decide(&self, py: Python<'_>, request: PyRef<'_, PyConsentRequest>) -> PyResult<PyDecision> {
        let r = &request.0;
        py.detach(|| self.0.decide(r)).py().map(PyDecision)
    }

    /// Step 4 alone: the decision of the patient's consents, or `None` when
    /// none applies.
    fn by_consent(
        &self,
        py: Python<'_>,
        request: PyRef<'_, PyConsentRequest>,
    ) -> PyResult<Option<PyDecision>> {
        let r = &request.0;
        Ok(py.detach(|| self.0.by_consent(r)).py()?.map(PyDecision))
    }

    /// Whether the appointment of `question` may be booked.
    fn booking_allowed(
        &self,
        py: Python<'_>,
        question: PyRef<'_, PyBookingQuestion>,
    ) -> PyResult<PyBookingVerdict> {
        let q = &*question;
        py.detach(|| self.0.booking_allowed(&q.question()))
            .py()
            .map(PyBookingVerdict)
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.CompiledConsents of {} consents for {:?}>",
            self.0.len(),
            self.0.patient()
        )
    }
}
