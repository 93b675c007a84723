"""typed_fhir_search.py (the mypy --strict sample) runs and answers as worked out by hand."""

from typed_fhir_search import main


def test_the_typed_fhir_search_sample_runs() -> None:
    assert main() == [
        # The proposal's id carries both ids and the start back.
        "dr-lee pat-alice 2030-01-09T14:00:00+00:00 proposed",
        "valueString x",
        # ge2026-05-04: the day's range; unbounded above.
        "ge 2026-05-04T00:00:00+00:00 2026-05-05T00:00:00+00:00 None True",
        # 23:59 on the 3rd is before the day; ge is gt (part of the target after
        # the day) or eq (all of it inside): 23:59-00:59 is neither.
        "False False",
        "http://x gp True http://x|gp",
        "20 500 8",
    ]
