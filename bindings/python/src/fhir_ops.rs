//! The FHIR operation and search shapes a Python client uses
//! (`hcas_core::fhir::operation`, `hcas_core::fhir::search`): the
//! `Parameters` of the IHE ITI Scheduling operations (`read_parameters`,
//! `Parameter`), the ids and Appointments of `$find` proposals
//! (`proposal_id`, `parse_proposal_id`, `Proposal`, `proposed_appointment`),
//! and search parameter values parsed and matched (`DateParam` with its
//! `hcas.SearchPrefix`, `TokenParam`, `ReferenceParam`, `parse_count`).
//! The search values are built from their text (the core parses it), keep
//! that text, and pickle as it: their text is their Python identity, so the
//! core's constructors from parts (`DateParam::new`, ...) are not used here.

use std::hash::{Hash, Hasher};

use hcas_core::fhir::operation::{self, Parameter};
use hcas_core::fhir::search::{DateParam, ReferenceParam, TokenParam};
use hcas_core::{ErrorCode, Interval, Timestamp};
use pyo3::prelude::*;
use pyo3::types::PyDateTime;

use crate::convert;
use crate::errors::{IntoPyResult, error};

/// An optional instant as an optional aware datetime.
fn opt_datetime(py: Python<'_>, t: Option<Timestamp>) -> PyResult<Option<Bound<'_, PyDateTime>>> {
    t.map(|t| convert::to_datetime(py, t)).transpose()
}

/// One parameter of a `Parameters` resource: its `name`, the `element`
/// holding its value (`"valueDateTime"`, `"valueReference"`, ..., or
/// `"resource"`) and the `value` itself (a str, number or bool for a
/// primitive, a dict for a datatype or a resource).
#[pyclass(name = "Parameter", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyParameter(Parameter);

impl Hash for PyParameter {
    /// The name, the element, and the value as JSON text.
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.0.name, &self.0.element, self.0.value.to_string()).hash(state);
    }
}

#[pymethods]
impl PyParameter {
    #[new]
    fn new(name: String, element: String, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = crate::json::to_json(value, "value")?;
        let mut p = Parameter::string(name, "");
        p.element = element;
        p.value = value;
        Ok(Self(p))
    }

    /// A parameter with a string value (`valueString`), as a query string
    /// gives it.
    #[staticmethod]
    fn string(name: String, value: String) -> Self {
        Self(Parameter::string(name, value))
    }

    /// `name`.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    /// The value element's name: `valueDateTime`, `valueReference`, ...,
    /// or `resource`.
    #[getter]
    fn element(&self) -> &str {
        &self.0.element
    }

    /// The value: a str, number or bool, or a dict.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_py(py, &self.0.value)
    }

    /// The value as text: a primitive's text, a `Reference`'s `reference`,
    /// a `Coding`'s `system|code`, or `None` for any other datatype.
    fn text(&self) -> Option<String> {
        self.0.text()
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, Bound<'py, PyAny>)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (me.0.name.clone(), me.0.element.clone(), me.value(slf.py())?),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Parameter({:?}, {:?}, {})",
            self.0.name, self.0.element, self.0.value
        )
    }
}

/// The parameters of a `Parameters` resource dict, in order. Raises
/// `InvalidRequestError` naming the JSON path: not a `Parameters`, a
/// parameter without a `name`, with no value or more than one, or with
/// `part` (hcas's operations take no nested parameters).
#[pyfunction]
pub(crate) fn read_parameters(resource: &Bound<'_, PyAny>) -> PyResult<Vec<PyParameter>> {
    let v = crate::json::to_json(resource, "resource")?;
    Ok(operation::read_parameters(&v)
        .py()?
        .into_iter()
        .map(PyParameter)
        .collect())
}

/// What a proposed Appointment's id says: the `provider` (practitioner) id,
/// the `patient` id and the `start` (aware, UTC).
#[pyclass(name = "Proposal", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyProposal {
    provider: String,
    patient: String,
    start: Timestamp,
}

#[pymethods]
impl PyProposal {
    #[new]
    fn new(provider: String, patient: String, start: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            provider,
            patient,
            start: convert::instant(start, "start")?,
        })
    }

    /// The practitioner (hcas provider) id.
    #[getter]
    fn provider(&self) -> &str {
        &self.provider
    }

    /// The patient id.
    #[getter]
    fn patient(&self) -> &str {
        &self.patient
    }

    /// The start (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.start)
    }

    /// Its id, as `proposal_id` writes it (`None` when the ids make none).
    fn id(&self) -> Option<String> {
        operation::proposal_id(&self.provider, &self.patient, self.start)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (String, String, Bound<'py, PyDateTime>)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (me.provider.clone(), me.patient.clone(), me.start(slf.py())?),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "hcas.Proposal({:?}, {:?}, {:?})",
            self.provider,
            self.patient,
            self.start.to_string()
        )
    }
}

/// The id of the proposed Appointment of `provider` with `patient` at the
/// aware instant `start` (`<unix seconds>-<length of the provider id>-<provider id><patient id>`),
/// or `None` when it would not be a FHIR id (the two ids together longer
/// than about 50 characters, or not FHIR ids).
#[pyfunction]
pub(crate) fn proposal_id(
    provider: &str,
    patient: &str,
    start: &Bound<'_, PyAny>,
) -> PyResult<Option<String>> {
    Ok(operation::proposal_id(
        provider,
        patient,
        convert::instant(start, "start")?,
    ))
}

/// What a proposed Appointment's id says (`hcas.Proposal`), or `None` when
/// `id` is not one.
#[pyfunction]
pub(crate) fn parse_proposal_id(id: &str) -> Option<PyProposal> {
    operation::parse_proposal_id(id).map(|p| PyProposal {
        provider: p.provider,
        patient: p.patient,
        start: p.start,
    })
}

/// The proposed (`status` = `proposed`) Appointment dict of `provider`
/// with `patient` over `[start, end)` (aware datetimes), with its
/// `proposal_id`. Raises `InvalidRequestError` when the ids make no FHIR id.
#[pyfunction]
pub(crate) fn proposed_appointment<'py>(
    py: Python<'py>,
    provider: &str,
    patient: &str,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let slot = Interval::new(
        convert::instant(start, "start")?,
        convert::instant(end, "end")?,
    )
    .py()?;
    let v = operation::proposed_appointment(provider, patient, slot).py()?;
    crate::json::to_py(py, &v)
}

/// A FHIR `date` search value parsed from its `text` (`"ge2026-05-04"`,
/// `"lt2026-05-04T10:00:00Z"`): its `prefix` (an `hcas.SearchPrefix`, `EQ`
/// when none is written) and the half-open range `[lower, upper)` its
/// precision implies (a year, a month, a UTC day, or one second). Equal when
/// prefix and range are. Raises `InvalidRequestError` for text that is not
/// one (a time needs an offset).
#[pyclass(name = "DateParam", module = "hcas", frozen, eq, hash)]
#[derive(Clone)]
pub(crate) struct PyDateParam {
    text: String,
    param: DateParam,
}

impl PartialEq for PyDateParam {
    fn eq(&self, other: &Self) -> bool {
        self.param == other.param
    }
}

impl Hash for PyDateParam {
    /// The prefix and the range, as equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let p = &self.param;
        (p.prefix, p.lower, p.upper).hash(state);
    }
}

#[pymethods]
impl PyDateParam {
    #[new]
    fn new(text: String) -> PyResult<Self> {
        let param = DateParam::parse(&text).py()?;
        Ok(Self { text, param })
    }

    /// The text it was parsed from.
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }

    /// The prefix, an `hcas.SearchPrefix`.
    #[getter]
    fn prefix<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::lifecycle::member(py, "SearchPrefix", self.param.prefix.as_str())
    }

    /// The first second of the value's range (aware, UTC).
    #[getter]
    fn lower<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.param.lower)
    }

    /// The first second after the value's range (aware, UTC).
    #[getter]
    fn upper<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.param.upper)
    }

    /// Whether the aware instant `t` (a point, e.g. `Slot.start`) matches.
    fn matches_instant(&self, t: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.param.matches_instant(convert::instant(t, "t")?))
    }

    /// Whether the period `[start, end)` (aware datetimes, e.g. an
    /// Appointment's) matches; an empty period is the point `start`.
    fn matches_period(&self, start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.param.matches_period(
            convert::instant(start, "start")?,
            convert::instant(end, "end")?,
        ))
    }

    /// `(earliest, first after the latest)` instant a matching point or
    /// period can reach, as far as this value bounds them (`None`:
    /// unbounded on that side): to narrow a store query, then filter with
    /// `matches_period`.
    #[allow(clippy::type_complexity)]
    fn bounds<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(
        Option<Bound<'py, PyDateTime>>,
        Option<Bound<'py, PyDateTime>>,
    )> {
        let (lo, hi) = self.param.bounds();
        Ok((opt_datetime(py, lo)?, opt_datetime(py, hi)?))
    }

    /// The instants this value matches, exactly, as `(from, to)` of
    /// `[from, to)` (`None`: unbounded on that side); `None` for `ne`,
    /// which is not one range.
    #[allow(clippy::type_complexity)]
    fn instant_range<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<
        Option<(
            Option<Bound<'py, PyDateTime>>,
            Option<Bound<'py, PyDateTime>>,
        )>,
    > {
        self.param
            .instant_range()
            .map(|(lo, hi)| Ok((opt_datetime(py, lo)?, opt_datetime(py, hi)?)))
            .transpose()
    }

    /// Pickled as its text.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String,)> {
        Ok((slf.get_type().into_any(), (slf.get().text.clone(),)))
    }

    fn __repr__(&self) -> String {
        format!("hcas.DateParam({:?})", self.text)
    }
}

/// A FHIR `token` search value parsed from its `text`: `code`,
/// `system|code`, `|code` (a coding without a system) or `system|` (any
/// code of the system). Raises `InvalidRequestError` for an empty value or
/// `|` alone.
#[pyclass(name = "TokenParam", module = "hcas", frozen, eq, hash)]
#[derive(Clone)]
pub(crate) struct PyTokenParam {
    text: String,
    param: TokenParam,
}

impl PartialEq for PyTokenParam {
    fn eq(&self, other: &Self) -> bool {
        self.param == other.param
    }
}

impl Hash for PyTokenParam {
    /// The system and the code, as equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.param.system, &self.param.code).hash(state);
    }
}

#[pymethods]
impl PyTokenParam {
    #[new]
    fn new(text: String) -> PyResult<Self> {
        let param = TokenParam::parse(&text).py()?;
        Ok(Self { text, param })
    }

    /// The text it was parsed from.
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }

    /// The system: `None` when not given, `""` for `|code`.
    #[getter]
    fn system(&self) -> Option<&str> {
        self.param.system.as_deref()
    }

    /// The code; `None` for `system|`.
    #[getter]
    fn code(&self) -> Option<&str> {
        self.param.code.as_deref()
    }

    /// Whether a coding of `system` (`None`: it has none) and `code` matches.
    #[pyo3(signature = (system, code))]
    fn matches(&self, system: Option<&str>, code: &str) -> bool {
        self.param.matches(system, code)
    }

    /// Pickled as its text.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String,)> {
        Ok((slf.get_type().into_any(), (slf.get().text.clone(),)))
    }

    fn __repr__(&self) -> String {
        format!("hcas.TokenParam({:?})", self.text)
    }
}

/// A FHIR `reference` search value parsed from its `text` (`Type/id`, or a
/// bare `id`), for a parameter whose target types are `types`
/// (`["Practitioner", "Patient"]`). Absolute URLs, `_history` versions and
/// chained forms, another type, or an id that is no FHIR id raise
/// `InvalidRequestError`.
#[pyclass(name = "ReferenceParam", module = "hcas", frozen, eq, hash)]
#[derive(Clone)]
pub(crate) struct PyReferenceParam {
    text: String,
    types: Vec<String>,
    param: ReferenceParam,
}

impl PartialEq for PyReferenceParam {
    fn eq(&self, other: &Self) -> bool {
        (&self.types, &self.param) == (&other.types, &other.param)
    }
}

impl Hash for PyReferenceParam {
    /// The types, the resource type and the id, as equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.types, &self.param.resource_type, &self.param.id).hash(state);
    }
}

#[pymethods]
impl PyReferenceParam {
    #[new]
    fn new(text: String, types: &Bound<'_, PyAny>) -> PyResult<Self> {
        let types = crate::booking::resources(types, "types").map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                "types must be a list of resource types, e.g. [\"Practitioner\"]",
            )
        })?;
        let refs: Vec<&str> = types.iter().map(String::as_str).collect();
        let param = ReferenceParam::parse(&text, &refs).py()?;
        Ok(Self { text, types, param })
    }

    /// The text it was parsed from.
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }

    /// The target types allowed, as given.
    #[getter]
    fn types(&self) -> Vec<String> {
        self.types.clone()
    }

    /// The resource type, if given.
    #[getter]
    fn resource_type(&self) -> Option<&str> {
        self.param.resource_type.as_deref()
    }

    /// The id.
    #[getter]
    fn id(&self) -> &str {
        &self.param.id
    }

    /// Whether this value may name a resource of type `resource_type` with
    /// id `id`.
    fn names(&self, resource_type: &str, id: &str) -> bool {
        self.param.names(resource_type, id)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String, Vec<String>)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (me.text.clone(), me.types.clone()),
        ))
    }

    fn __repr__(&self) -> String {
        format!("hcas.ReferenceParam({:?}, {:?})", self.text, self.types)
    }
}

/// `_count` parsed: a whole number from 0 (only the total) to
/// `hcas.MAX_COUNT`; anything else raises `InvalidRequestError`.
#[pyfunction]
pub(crate) fn parse_count(text: &str) -> PyResult<usize> {
    hcas_core::fhir::search::parse_count(text).py()
}

/// The wire names of the search prefixes, in the core's order.
pub(crate) fn prefixes() -> Vec<&'static str> {
    hcas_core::fhir::search::Prefix::ALL
        .iter()
        .map(|p| p.as_str())
        .collect()
}
