"""typed_sample.py (the mypy --strict sample) runs and answers as worked out by hand."""

from typed_sample import main


def test_the_typed_sample_runs() -> None:
    lines = main()
    # Monday 30 March 2026, asked at 06:00Z, busy 06:00Z-07:00Z, two hours' notice:
    # 09:00 BST is 08:00Z, the first start at least two hours after 06:00Z.
    assert lines[0] == "2026-03-30 08:00:00+00:00"
    assert lines[1:4] == ["2026-03-02T14:00:00+00:00", "2026-03-03T14:00:00+00:00", "2026-03-04T14:00:00+00:00"]
    assert lines[4].startswith("invalid_rrule: rrule")
    assert lines[5:9] == ["[]", "None", "[]", "[1767225600, 1767312000]"]
    # b1 holds Dr Lee 09:00-10:00Z, asked 09:45-10:15Z; the hold on room 2 lapses
    # at 09:00Z and it is 08:00Z, so it still blocks.
    assert lines[10:] == ["Status.HELD 2 1", "provider:lee: b1", "room:2: h1"]
