"""The `python` front door of scripts/vectors: every conformance vector under
$HCAS_VECTORS (default tests/vectors/; a relative path is taken from the
repository root) through the installed `hcas` package, judged by
`hcas.check_vector` (hcas_core::wire::check, the comparison every door uses).
One line per failure, then `N passed, N failed`, as the rust and server doors.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import hcas

ROOT = Path(__file__).resolve().parents[3]


def run(path: Path) -> Optional[str]:
    """Run one vector file: None when it passes, else the failure line."""
    try:
        case: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return f"{path}: not a readable JSON file: {e}"
    if not isinstance(case, dict):
        return f"{path}: not a JSON object"
    vid = case.get("id") if isinstance(case.get("id"), str) else "<no id>"
    kind = case.get("kind")
    if kind not in hcas.KINDS:
        return f"{vid}: unknown kind `{kind}` (file {path})"
    try:
        out = hcas.evaluate(kind, case.get("input"))
    except hcas.HcasError as e:
        line = hcas.check_vector(case, e.code)
        return None if line is None else f"{line} ({e.code}: {e.message})"
    return hcas.check_vector(case, out)


def main() -> int:
    given = os.environ.get("HCAS_VECTORS")
    root = ROOT / given if given else ROOT / "tests" / "vectors"
    if not root.is_dir():
        print(f"cannot read vectors in {root}")
        print("0 passed, 1 failed")
        return 1
    files = sorted(p for p in root.rglob("*.json") if p.is_file())
    passed = failed = 0
    for f in files:
        line = run(f)
        if line is None:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {line}")
    if not files:
        print(f"no *.json vectors below {root}")
        failed += 1
    print(f"vectors from {root} (hcas {hcas.__version__}, tzdb {hcas.TZDB_VERSION})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
