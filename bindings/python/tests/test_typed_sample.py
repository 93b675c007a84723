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
