"""typed_ledger.py (the mypy --strict sample) runs and answers as worked out by hand."""

from typed_ledger import main


def test_the_typed_ledger_sample_runs() -> None:
    lines = main()
    # a1 booked under req-1; the retry gets it back; a2 wants lee while a1 has him.
    assert lines[:3] == ["booked a1 booked", "existing a1 booked ok=True keys=1", "conflict provider:lee=a1"]
    # The hold lapses at 08:15 and is confirmed at 08:05.
    assert lines[3:5] == ["booked h1 held", "booked h1 booked"]
    # a1 rescheduled to a3 (11:00), then a3 moved to 10:30: only a3 blocks lee (a1 is cancelled).
    assert lines[5:8] == ["booked a3 booked replaces=a1 old=cancelled replaced_by=a3", "booked a3 booked", "a3"]
    # R1 without h1 is free (the extra booking is on other resources); req-1 is forgotten 24 h after 08:00.
    assert lines[8:11] == ["free=True", "keys=0", "conflict"]
    # Daily 09:00 on 5 and 6 May; x6 holds lee 09:00-10:00 on the 6th, so the next half-hour start is 10:00.
    assert lines[11:] == [
        "daily.20260505T090000 ok=True after=",
        "daily.20260506T090000 ok=False after=2026-05-06T10:00:00+00:00",
        "occurrence 2026-05-06T09:00:00 (start 2026-05-06T09:00:00Z): Appointment/x6 holds Practitioner/lee",
    ]
