//! The appointment lifecycle (`hcas_core::lifecycle`): `hcas.LifecyclePolicy`,
//! `hcas.TransitionRequest`, `hcas.Outcome`, `hcas.Transitioned`, the
//! functions `transition` and `apply`, and the table queries
//! (`legal_targets`, `allowed_actors`, `reason_required`, `is_terminal`).
//! Parties and outcome kinds are the Python `enum.Enum`s `hcas.Party` and
//! `hcas.OutcomeKind` (defined in `python/hcas/__init__.py`, their values the
//! engine's wire names).

use std::hash::{Hash, Hasher};

use hcas_core::booking::Status;
use hcas_core::chrono::TimeDelta;
use hcas_core::lifecycle::{self, LifecyclePolicy, Outcome, Party, TransitionRequest};
use hcas_core::{ErrorCode, Minutes};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::booking::{PyBooking, PyLedger, status, status_to_py};
use crate::convert;
use crate::errors::{IntoPyResult, error};

/// The wire name of an enum value: the member of `hcas.<class>` (its
/// `.value`) or the name itself, as text.
pub(crate) fn wire_name(obj: &Bound<'_, PyAny>, name: &str, class: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    obj.getattr("value")
        .and_then(|v| v.extract::<String>())
        .map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                format!("{name} must be an hcas.{class} or its wire name (str)"),
            )
        })
}

/// The member of the `enum.Enum` `hcas.<class>` whose value is `value`.
pub(crate) fn member<'py>(
    py: Python<'py>,
    class: &str,
    value: &str,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("hcas")?.getattr(class)?.call1((value,))
}

/// A party: an `hcas.Party` member or its wire name (`"staff"`).
pub(crate) fn party(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Party> {
    let text = wire_name(obj, name, "Party")?;
    Party::ALL
        .into_iter()
        .find(|p| p.as_str() == text)
        .ok_or_else(|| {
            error(
                ErrorCode::InvalidRequest,
                format!(
                    "{name}: `{text}` is not a party; give one of patient, practitioner, staff, system"
                ),
            )
        })
}

/// `party` as its `hcas.Party` member.
pub(crate) fn party_to_py(py: Python<'_>, party: Party) -> PyResult<Bound<'_, PyAny>> {
    member(py, "Party", party.as_str())
}

/// Whole minutes as a `timedelta`.
pub(crate) fn delta(m: Minutes) -> TimeDelta {
    TimeDelta::minutes(m.get())
}

/// A `TimeDelta` as a Python `timedelta`'s `repr`.
fn delta_repr(py: Python<'_>, d: TimeDelta) -> PyResult<String> {
    Ok(d.into_pyobject(py)?.repr()?.to_string())
}

/// The clinic's timing rules for the lifecycle (`hcas_core::lifecycle::LifecyclePolicy`),
/// as `timedelta`s of whole minutes: a cancellation less than `late_cancel`
/// before the start is late (default 24 hours), a booked patient becomes a
/// no-show `noshow_grace` after the start (default 15 minutes), arrival and
/// check-in open `checkin_opens` before the start (default 60 minutes); a
/// field left `None` takes the engine's default. Each is between 0 and 366
/// days (`InvalidDurationError` otherwise).
#[pyclass(name = "LifecyclePolicy", module = "hcas", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct PyLifecyclePolicy(pub(crate) LifecyclePolicy);

#[pymethods]
impl PyLifecyclePolicy {
    #[new]
    #[pyo3(signature = (late_cancel = None, noshow_grace = None, checkin_opens = None))]
    fn new(
        late_cancel: Option<&Bound<'_, PyAny>>,
        noshow_grace: Option<&Bound<'_, PyAny>>,
        checkin_opens: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut p = LifecyclePolicy::new();
        if let Some(m) = convert::opt_minutes(late_cancel, "late_cancel")? {
            p = p.late_cancel(m);
        }
        if let Some(m) = convert::opt_minutes(noshow_grace, "noshow_grace")? {
            p = p.noshow_grace(m);
        }
        if let Some(m) = convert::opt_minutes(checkin_opens, "checkin_opens")? {
            p = p.checkin_opens(m);
        }
        p.validate().py()?;
        Ok(Self(p))
    }

    /// A cancellation less than this long before the start is late.
    #[getter]
    fn late_cancel(&self) -> TimeDelta {
        delta(self.0.late_cancel_minutes)
    }

    /// A booked patient becomes a no-show this long after the start.
    #[getter]
    fn noshow_grace(&self) -> TimeDelta {
        delta(self.0.noshow_grace_minutes)
    }

    /// Arrival and check-in open this long before the start.
    #[getter]
    fn checkin_opens(&self) -> TimeDelta {
        delta(self.0.checkin_opens_minutes)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (TimeDelta, TimeDelta, TimeDelta)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (me.late_cancel(), me.noshow_grace(), me.checkin_opens()),
        ))
    }

    pub(crate) fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "hcas.LifecyclePolicy(late_cancel={}, noshow_grace={}, checkin_opens={})",
            delta_repr(py, self.late_cancel())?,
            delta_repr(py, self.noshow_grace())?,
            delta_repr(py, self.checkin_opens())?
        ))
    }
}

/// An optional `hcas.LifecyclePolicy` (`None`: the default policy).
pub(crate) fn policy(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<LifecyclePolicy> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(LifecyclePolicy::new()),
        Some(o) => o
            .cast::<PyLifecyclePolicy>()
            .map(|p| p.get().0)
            .map_err(|_| {
                error(
                    ErrorCode::InvalidRequest,
                    format!("{name} must be an hcas.LifecyclePolicy"),
                )
            }),
    }
}

/// An `hcas.Booking`, or an `invalid_request` error naming `name`.
pub(crate) fn booking<'a, 'py>(
    obj: &'a Bound<'py, PyAny>,
    name: &str,
) -> PyResult<&'a Bound<'py, PyBooking>> {
    obj.cast::<PyBooking>().map_err(|_| {
        error(
            ErrorCode::InvalidRequest,
            format!("{name} must be an hcas.Booking"),
        )
    })
}

/// An `hcas.Ledger`, or an `invalid_request` error naming `name`.
pub(crate) fn ledger<'a, 'py>(
    obj: &'a Bound<'py, PyAny>,
    name: &str,
) -> PyResult<&'a Bound<'py, PyLedger>> {
    obj.cast::<PyLedger>().map_err(|_| {
        error(
            ErrorCode::InvalidRequest,
            format!("{name} must be an hcas.Ledger"),
        )
    })
}

/// A request by `actor` at the aware instant `now` to move a booking to the
/// status `to`, with an optional `reason` (required for some changes: see
/// `reason_required`; blank counts as missing).
#[pyclass(name = "TransitionRequest", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyTransitionRequest(pub(crate) TransitionRequest);

impl Hash for PyTransitionRequest {
    /// Every field.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let r = &self.0;
        (r.to, r.actor, &r.reason, r.now).hash(state);
    }
}

#[pymethods]
impl PyTransitionRequest {
    #[new]
    #[pyo3(signature = (to, actor, now, reason = None))]
    fn new(
        to: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        reason: Option<String>,
    ) -> PyResult<Self> {
        let mut r = TransitionRequest::new(
            status(to, "to")?,
            party(actor, "actor")?,
            convert::instant(now, "now")?,
        );
        if let Some(reason) = reason {
            r = r.reason(reason);
        }
        Ok(Self(r))
    }

    /// The status wanted, an `hcas.Status`.
    #[getter]
    fn to<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_to_py(py, self.0.to)
    }

    /// Who asks, an `hcas.Party`.
    #[getter]
    fn actor<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        party_to_py(py, self.0.actor)
    }

    /// The current instant (aware, UTC).
    #[getter]
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(convert::to_datetime(py, self.0.now)?.into_any())
    }

    /// Why, or `None`.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            &'static str,
            &'static str,
            Bound<'py, PyAny>,
            Option<String>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (
                me.0.to.as_str(),
                me.0.actor.as_str(),
                me.now(py)?,
                me.0.reason.clone(),
            ),
        ))
    }

    fn __repr__(&self) -> String {
        let reason = self
            .0
            .reason
            .as_ref()
            .map(|r| format!(", reason={r:?}"))
            .unwrap_or_default();
        format!(
            "hcas.TransitionRequest({:?}, {:?}, {:?}{reason})",
            self.0.to.as_str(),
            self.0.actor.as_str(),
            self.0.now.to_string()
        )
    }
}

/// The wire name of an outcome's kind (`hcas.OutcomeKind`'s values).
fn outcome_kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Cancelled => "cancelled",
        Outcome::LateCancellation { .. } => "late_cancellation",
        Outcome::NoShow => "no_show",
        Outcome::SlotFreed => "slot_freed",
        // An outcome added to the engine before this binding knows it.
        _ => "unknown",
    }
}

/// A consequence of a transition the caller may act on: its `kind` (an
/// `hcas.OutcomeKind`: cancelled, late cancellation, no-show, slot freed)
/// and, for a late cancellation only, `minutes_before_start` (a `timedelta`
/// of whole minutes from `now` to the start, rounded down).
#[pyclass(name = "Outcome", module = "hcas", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PyOutcome(pub(crate) Outcome);

#[pymethods]
impl PyOutcome {
    #[new]
    #[pyo3(signature = (kind, minutes_before_start = None))]
    fn new(
        kind: &Bound<'_, PyAny>,
        minutes_before_start: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let text = wire_name(kind, "kind", "OutcomeKind")?;
        let before = convert::opt_minutes(minutes_before_start, "minutes_before_start")?;
        let outcome = match (text.as_str(), before) {
            ("late_cancellation", Some(m)) => Outcome::LateCancellation {
                minutes_before_start: m,
            },
            ("late_cancellation", None) => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    "a late_cancellation outcome needs minutes_before_start (a timedelta)",
                ));
            }
            (_, Some(_)) => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    format!("minutes_before_start is only for late_cancellation, not {text}"),
                ));
            }
            ("cancelled", None) => Outcome::Cancelled,
            ("no_show", None) => Outcome::NoShow,
            ("slot_freed", None) => Outcome::SlotFreed,
            (other, None) => {
                return Err(error(
                    ErrorCode::InvalidRequest,
                    format!(
                        "kind: `{other}` is not an outcome; give one of cancelled, \
                         late_cancellation, no_show, slot_freed"
                    ),
                ));
            }
        };
        Ok(Self(outcome))
    }

    /// What happened, an `hcas.OutcomeKind`.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        member(py, "OutcomeKind", outcome_kind(&self.0))
    }

    /// For a late cancellation: how long before the start it came (whole
    /// minutes, rounded down); else `None`.
    #[getter]
    fn minutes_before_start(&self) -> Option<TimeDelta> {
        match self.0 {
            Outcome::LateCancellation {
                minutes_before_start,
            } => Some(delta(minutes_before_start)),
            _ => None,
        }
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (&'static str, Option<TimeDelta>)> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any(),
            (outcome_kind(&me.0), me.minutes_before_start()),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(match self.minutes_before_start() {
            Some(d) => format!(
                "hcas.Outcome({:?}, minutes_before_start={})",
                outcome_kind(&self.0),
                delta_repr(py, d)?
            ),
            None => format!("hcas.Outcome({:?})", outcome_kind(&self.0)),
        })
    }
}

/// Outcomes as a tuple of `hcas.Outcome`s.
pub(crate) fn outcomes_to_py<'py>(
    py: Python<'py>,
    outcomes: &[Outcome],
) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, outcomes.iter().copied().map(PyOutcome))
}

/// `hcas.Outcome`s from any iterable.
pub(crate) fn outcomes(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Outcome>> {
    obj.try_iter()?
        .map(|o| {
            let o = o?;
            o.cast::<PyOutcome>().map(|o| o.get().0).map_err(|_| {
                error(
                    ErrorCode::InvalidRequest,
                    format!("{name} must hold hcas.Outcome values"),
                )
            })
        })
        .collect()
}

/// An allowed transition: the status before (`from_`), after (`to`), and
/// what follows from it (`outcomes`, in the engine's order: cancelled, late
/// cancellation, no-show, slot freed).
#[pyclass(name = "Transitioned", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyTransitioned {
    from: Status,
    to: Status,
    outcomes: Vec<Outcome>,
}

#[pymethods]
impl PyTransitioned {
    #[new]
    fn new(
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        outcomes: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self {
            from: status(from_, "from_")?,
            to: status(to, "to")?,
            outcomes: self::outcomes(outcomes, "outcomes")?,
        })
    }

    /// The status before, an `hcas.Status`.
    #[getter]
    fn from_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_to_py(py, self.from)
    }

    /// The status after, an `hcas.Status`.
    #[getter]
    fn to<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        status_to_py(py, self.to)
    }

    /// What follows, as `hcas.Outcome`s.
    #[getter]
    fn outcomes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        outcomes_to_py(py, &self.outcomes)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (&'static str, &'static str, Bound<'py, PyTuple>)> {
        let (me, py) = (slf.get(), slf.py());
        Ok((
            slf.get_type().into_any(),
            (me.from.as_str(), me.to.as_str(), me.outcomes(py)?),
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|o| PyOutcome(*o).__repr__(py))
            .collect::<PyResult<_>>()?;
        Ok(format!(
            "hcas.Transitioned({:?}, {:?}, [{}])",
            self.from.as_str(),
            self.to.as_str(),
            outcomes.join(", ")
        ))
    }
}

impl From<lifecycle::Transitioned> for PyTransitioned {
    fn from(t: lifecycle::Transitioned) -> Self {
        Self {
            from: t.from,
            to: t.to,
            outcomes: t.outcomes,
        }
    }
}

/// An `hcas.TransitionRequest`, or an `invalid_request` error naming `name`.
fn request(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<TransitionRequest> {
    obj.cast::<PyTransitionRequest>()
        .map(|r| r.get().0.clone())
        .map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                format!("{name} must be an hcas.TransitionRequest"),
            )
        })
}

/// Whether `request` may move `booking` to `request.to` under `policy`
/// (default: `LifecyclePolicy()`), and what follows; nothing is changed.
/// Raises `InvalidTransitionError` (not in the table, or not allowed at
/// `request.now`), `NotPermittedError` (not this actor's to make),
/// `InvalidRequestError` (a required reason missing) or
/// `InvalidDurationError` (an invalid policy).
#[pyfunction]
#[pyo3(signature = (booking, request, policy = None))]
pub(crate) fn transition(
    booking: &Bound<'_, PyAny>,
    request: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTransitioned> {
    let b = self::booking(booking, "booking")?;
    let req = self::request(request, "request")?;
    let policy = self::policy(policy, "policy")?;
    lifecycle::transition(&b.get().0, &req, &policy)
        .py()
        .map(PyTransitioned::from)
}

/// `transition` for the booking `id` in `ledger`, then record the new status
/// (and, for a cancellation or a correction, the reason as the booking's
/// `cancel_reason`). A change that would make the booking occupy resources
/// taken by others is refused (`InvalidTransitionError`); an unknown id is
/// `InvalidRequestError`. On any error the ledger is unchanged.
#[pyfunction]
#[pyo3(signature = (ledger, id, request, policy = None))]
pub(crate) fn apply(
    py: Python<'_>,
    ledger: &Bound<'_, PyAny>,
    id: &str,
    request: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTransitioned> {
    let ledger = self::ledger(ledger, "ledger")?;
    let req = self::request(request, "request")?;
    let policy = self::policy(policy, "policy")?;
    let mut l = ledger.borrow_mut();
    let l = &mut l.0;
    py.detach(|| lifecycle::apply(l, id, &req, &policy))
        .py()
        .map(PyTransitioned::from)
}

/// The statuses `from_` may legally move to (`hcas.Status` members, in the
/// engine's table order); empty for `entered-in-error`.
#[pyfunction]
pub(crate) fn legal_targets<'py>(
    py: Python<'py>,
    from_: &Bound<'py, PyAny>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    lifecycle::legal_targets(status(from_, "from_")?)
        .iter()
        .map(|s| status_to_py(py, *s))
        .collect()
}

/// The parties (`hcas.Party` members) allowed to move a booking from
/// `from_` to `to`, or `None` when that change is not legal at all.
#[pyfunction]
pub(crate) fn allowed_actors<'py>(
    py: Python<'py>,
    from_: &Bound<'py, PyAny>,
    to: &Bound<'py, PyAny>,
) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
    lifecycle::allowed_actors(status(from_, "from_")?, status(to, "to")?)
        .map(|actors| actors.iter().map(|p| party_to_py(py, *p)).collect())
        .transpose()
}

/// Whether moving from `from_` to `to` needs a non-blank reason: cancelling
/// a pending, booked, arrived or checked-in booking, and any change to
/// entered-in-error.
#[pyfunction]
pub(crate) fn reason_required(from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(lifecycle::reason_required(
        status(from_, "from_")?,
        status(to, "to")?,
    ))
}

/// Whether no change but entered-in-error leaves `status` (fulfilled,
/// cancelled, noshow, entered-in-error).
#[pyfunction]
pub(crate) fn is_terminal(status: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(lifecycle::is_terminal(self::status(status, "status")?))
}

/// The wire names of every party, in the engine's order (`hcas.Party`'s values).
pub(crate) fn parties() -> Vec<&'static str> {
    Party::ALL.iter().map(|p| p.as_str()).collect()
}
