"""The HcasError hierarchy: one subclass per stable error code, raised with
`.code` and `.message` by the typed and the dict API alike."""

import datetime as dt
from typing import Any

import pytest

import hcas

UTC = dt.timezone.utc
CLASSES = [
    hcas.InvalidRruleError,
    hcas.InvalidTimezoneError,
    hcas.InvalidDatetimeError,
    hcas.InvalidIntervalError,
    hcas.InvalidDurationError,
    hcas.InvalidWindowError,
    hcas.InvalidConsentError,
    hcas.InvalidRequestError,
    hcas.InvalidTransitionError,
    hcas.NotPermittedError,
    hcas.LimitExceededError,
]


def test_one_class_per_code_with_its_code() -> None:
    # The codes of docs/vectors.md, written out here (not read from the module).
    assert [c.code for c in CLASSES] == [
        "invalid_rrule",
        "invalid_timezone",
        "invalid_datetime",
        "invalid_interval",
        "invalid_duration",
        "invalid_window",
        "invalid_consent",
        "invalid_request",
        "invalid_transition",
        "not_permitted",
        "limit_exceeded",
    ]
    assert sorted(hcas.ERROR_CODES) == sorted(c.code for c in CLASSES)
    for c in CLASSES:
        assert issubclass(c, hcas.HcasError) and c is not hcas.HcasError
        assert c.__module__ == "hcas"
        assert c.__doc__
    assert issubclass(hcas.HcasError, ValueError)
    assert len(set(CLASSES)) == len(CLASSES)


def raised(f: Any, *args: Any, **kwargs: Any) -> hcas.HcasError:
    with pytest.raises(hcas.HcasError) as info:
        f(*args, **kwargs)
    return info.value


def test_typed_calls_raise_their_family() -> None:
    e = raised(hcas.Recurrence, "FREQ=FORTNIGHTLY", dt.datetime(2026, 1, 5, 9), "UTC")
    assert type(e) is hcas.InvalidRruleError and e.code == "invalid_rrule"
    assert "rrule" in e.message and str(e) == e.message

    e = raised(hcas.Zone, "Mars/Olympus_Mons")
    assert type(e) is hcas.InvalidTimezoneError and "Mars/Olympus_Mons" in str(e)

    rec = hcas.Recurrence("FREQ=DAILY", dt.datetime(2026, 1, 5, 9), "UTC")
    start = dt.datetime(2026, 2, 1, tzinfo=UTC)
    e = raised(rec.between, start, start)
    assert type(e) is hcas.InvalidIntervalError
    e = raised(rec.between, start, start + dt.timedelta(days=40_000))
    assert type(e) is hcas.InvalidWindowError

    avail = hcas.Availability("UTC")
    e = raised(avail.slots, start, start + dt.timedelta(days=1), dt.timedelta(seconds=90))
    assert type(e) is hcas.InvalidDurationError and "duration" in e.message
    e = raised(avail.slots, start, start + dt.timedelta(days=1), dt.timedelta(0))
    assert type(e) is hcas.InvalidDurationError

    many = [dt.datetime(2026, 1, 1) + dt.timedelta(hours=i) for i in range(100_000)]
    e = raised(hcas.Recurrence, "FREQ=DAILY", dt.datetime(2026, 1, 5, 9), "UTC", exdates=many)
    assert type(e) is hcas.LimitExceededError and "exdates" in e.message


def test_dict_calls_raise_their_family() -> None:
    e = raised(hcas.evaluate, "horoscope", {})
    assert type(e) is hcas.InvalidRequestError and "horoscope" in e.message
    e = raised(hcas.evaluate, "recurrence", {"rrule": "FREQ=DAILY"})
    assert type(e) is hcas.InvalidRequestError
    e = raised(hcas.evaluate, "recurrence", {"x": object()})
    assert type(e) is hcas.InvalidRequestError and "input.x" in e.message
    loop: dict[str, Any] = {}
    loop["self"] = loop
    e = raised(hcas.evaluate, "recurrence", loop)
    assert type(e) is hcas.InvalidRequestError and "nested" in e.message
    e = raised(
        hcas.evaluate,
        "transition",
        {
            "booking": {
                "id": "a1",
                "start": "2026-05-04T09:00:00Z",
                "end": "2026-05-04T09:30:00Z",
                "status": "fulfilled",
                "resources": ["provider:P1"],
            },
            "request": {"to": "booked", "actor": "staff", "now": "2026-05-04T10:00:00Z"},
        },
    )
    assert type(e) is hcas.InvalidTransitionError
