"""The "Booking through the ledger" section of bindings/python/README.md, run as doctests
against the installed package (as test_readme.py does for the top-level
README's Python section)."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_ledger_examples() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Booking through the ledger", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "bindings/python/README.md's ledger section has no ```python example"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README.md Ledger example {i + 1}", str(README), 0)
        assert test.examples, f"example {i + 1} has no >>> lines"
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0
