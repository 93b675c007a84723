"""typed_fhir.py (the mypy --strict sample of explain, alternatives and FHIR)
runs and answers as worked out by hand."""

from typed_fhir import main


def test_the_typed_fhir_sample_runs() -> None:
    lines = main()
    # 13:00Z on Monday 4 May 2026 is 14:00 BST, after London's 09:00-12:00
    # (08:00-11:00Z): outside working hours, nearest windows that day and the next.
    assert lines[0].startswith("outside_working_hours 2026-05-04 False ((datetime.datetime(2026, 5, 4, 8, 0")
    assert lines[1] == "offered=False start=2026-05-04T13:00:00+00:00 same=True"
    # b1 holds P1 09:00-09:30Z: a conflict; the nearest free starts are 08:30Z and 09:30Z.
    assert lines[2:5] == ["Reason.CONFLICT", "2026-05-04T08:30:00+00:00 2026-05-04T09:30:00+00:00", "True"]
    assert lines[5] == "invalid_datetime"
    assert lines[6:8] == ["booked Patient/X1 True", "[1] 1"]
    # 09:00Z-11:00Z gives four half-hour starts; 09:00Z is 1777885200 s after the epoch.
    assert lines[8].startswith("4 dr-lee-1777885200 free True True ('dr-lee', datetime.datetime(2026, 5, 4, 9, 0, ")
    assert lines[8].endswith(" busy")
    assert lines[9] == "free,busy,busy-tentative,busy-unavailable,entered-in-error"
    assert lines[10] == "True dr-lee ('provider:P1',) True () True Europe/London 1 True"
    assert lines[11] == "2 http://h/fhir/r4/Appointment/a1 include True next"
    assert lines[12] == "True Appointment/b1 holds Practitioner/P1"
    assert lines[13] == "R 0 7 2026-05-04T09:00:00+00:00 D1 patient.read patient:X1 permit ('doctor',) X1 None [] None"
    # Mondays 10:00 London (09:00Z in BST) three times from 4 May, plus Wednesday
    # 6 May, less 11 May: 4 May, 6 May, 18 May.
    assert lines[14] == (
        "True True wk ['MO'] None 1 3 None [datetime.date(2026, 5, 6)] [datetime.date(2026, 5, 11)] Europe/London "
        "['2026-05-04T09:00:00+00:00', '2026-05-06T09:00:00+00:00', '2026-05-18T09:00:00+00:00'] a1 True"
    )
