"""Every public name of `hcas` has a docstring at runtime (issue 13 asks for
docstrings on every public name): each class and function of `hcas.__all__`,
and each public method and property of its classes; constants, which cannot
carry a docstring, have a `#:` comment on their declaration in the stubs."""

import enum
import inspect
from pathlib import Path

import hcas


def undocumented() -> list[str]:
    """The public names whose docstring is missing or blank."""
    missing = []
    for name in hcas.__all__:
        obj = getattr(hcas, name)
        if not (inspect.isclass(obj) or inspect.isroutine(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if not inspect.isclass(obj) or issubclass(obj, enum.Enum):
            continue  # an enum's members are its values, documented by the class
        for attr, member in vars(obj).items():
            if attr.startswith("_"):
                continue
            if not (getattr(member, "__doc__", None) or "").strip():
                missing.append(f"{name}.{attr}")
    return missing


def test_every_public_class_function_method_and_property_has_a_docstring() -> None:
    assert undocumented() == []


def test_the_check_sees_public_methods_and_properties() -> None:
    # The walk reaches what it claims to: a property, a method, a static
    # method, and an enum is judged by its class docstring alone.
    seen = {(name, attr) for name in ("Booking", "Ledger", "Period") for attr in vars(getattr(hcas, name))}
    assert {("Booking", "replaces"), ("Ledger", "book"), ("Period", "since")} <= seen
    assert (hcas.Ledger.book.__doc__ or "").startswith("Book atomically")


def test_every_public_constant_is_documented_in_the_stubs() -> None:
    package = Path(hcas.__file__).parent
    lines = (package / "_hcas.pyi").read_text(encoding="utf-8").splitlines()
    lines += (package / "__init__.py").read_text(encoding="utf-8").splitlines()
    constants = [n for n in hcas.__all__ if not (inspect.isclass(getattr(hcas, n)) or inspect.isroutine(getattr(hcas, n)))]
    assert "IDEMPOTENCY_TTL" in constants and "STATUSES" in constants
    missing = []
    for name in constants:
        declared = [i for i, line in enumerate(lines) if line.startswith((f"{name}:", f"{name} ="))]
        if not any(i > 0 and lines[i - 1].startswith("#:") for i in declared):
            missing.append(name)
    assert missing == []
