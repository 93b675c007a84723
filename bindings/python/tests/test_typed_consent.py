"""typed_consent.py (the mypy --strict sample) runs and answers as worked out by hand."""

from typed_consent import main


def test_the_typed_consent_sample_runs() -> None:
    lines = main()
    # The desk (Org1) reads appointments for marketing in June 2026: the
    # marketing provision matches (deny) and its Org1-in-2026 exception too
    # (permit): permit by Pat1's consent, path [0, 0].
    assert lines[0] == "permit consent Pat1 [0, 0] [] True"
    # For operations no provision matches: the consent's base permit, path [].
    assert lines[1] == "permit consent Pat1 [] [] True"
    # A nurse breaking the glass 20 minutes ago for ETREAT: permitted, audited.
    assert lines[2] == "permit break-glass None [] ['audit-break-glass'] True"
    # One consent counts; it applies to the nurse's request (no scope, in force).
    assert lines[3] == "1 True"
    # Telehealth for the desk: access passes (the consent permits operations),
    # the telehealth question (TREAT) reaches the base permit: allowed.
    assert lines[4] == "True [] False"
    assert lines[5] == "True active True"
    # The constants of hcas_core::consent, as documented there.
    assert lines[6] == "['permit', 'deny'] HOPERAT audit-break-glass 3600 telehealth"
    assert lines[7] == "invalid_datetime"
