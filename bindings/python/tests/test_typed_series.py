"""typed_series.py (the mypy --strict sample) runs and answers as worked out by hand."""

from typed_series import main


def test_the_typed_series_sample_runs() -> None:
    lines = main()
    # Mondays 09:00 New York: EST (14:00Z) on 2 March, EDT (13:00Z) from 8 March.
    assert lines[0] == "booked=True 2026-03-02T14:00:00+00:00,2026-03-09T13:00:00+00:00,2026-03-16T13:00:00+00:00"
    # The last two a week later, still 09:00 EDT.
    assert lines[1:3] == ["2026-03-16T13:00:00+00:00,2026-03-23T13:00:00+00:00", "applied=True skipped=0"]
    # Cancelled 38 hours ahead: not late under 24 hours; then again: already cancelled.
    assert lines[3:6] == [
        "physio.20260302T090000 from booked: cancelled slot_freed",
        "2026-03-02T09:00:00 moving away",
        "physio.20260302T090000 cancelled invalid_transition InvalidTransitionError",
    ]
    # Two hours ahead under a 24-hour window: late by 120 minutes.
    assert lines[6:10] == [
        "booked->cancelled late by 2:00:00",
        "practitioner,staff,system",
        "arrived,checked-in,cancelled,noshow,entered-in-error",
        "True True patient,practitioner,staff,system",
    ]
    # w1 joined first (06:00Z) and takes a 30-minute slot; the offer lapses 15 minutes after 08:00Z.
    assert lines[10:13] == [
        "2 waiting, first w1",
        "offer to w1 (patient:cat) until 2026-05-04T08:15:00+00:00; held",
        "0:30:00 1 True",
    ]
    assert lines[13:] == ["all book_free"]
