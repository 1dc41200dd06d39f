"""Reported numbers: a printed value is reproduced within half a unit of its last digit, or refuted."""

from __future__ import annotations

import pytest

from tests.verdicts import VERDICTS
from verify import Derivation, Reported, Source, Step
from verify.errors import ClaimError
from verify.run.check import check_step


def _check(claim: Reported, expected: str = "holds"):
    d = Derivation("paper", "Paper", Source("paper.txt"), [Step("number", claim, expected=expected)], kind="experiment")
    return check_step(d, d.steps[0], VERDICTS)


def test_printed_digits_set_the_tolerance() -> None:
    assert Reported("q", "0.531", lambda: 0.0).tolerance == pytest.approx(5e-4)
    assert Reported("q", "12", lambda: 0.0).tolerance == pytest.approx(0.5)
    assert Reported("q", "1.5e-3", lambda: 0.0).tolerance == pytest.approx(5e-5)
    assert Reported("q", "0.5", lambda: 0.0, tolerance=0.1).tolerance == 0.1


def test_reproduced_number_is_confirmed_with_both_values() -> None:
    r = _check(Reported("theta for ratio 2", "0.531", lambda: 0.53149))
    assert (r.status, r.failed, r.method, r.samples) == ("confirmed", False, "numeric", 1)
    assert r.reproduction == {
        "quantity": "theta for ratio 2",
        "published": 0.531,
        "recomputed": 0.53149,
        "tolerance": pytest.approx(5e-4),
        "reproduced": True,
    }
    assert r.reason.startswith("reproduced: published 0.531, recomputed 0.53149")


def test_number_off_by_more_than_the_rounding_is_refuted() -> None:
    r = _check(Reported("theta for ratio 2", "0.531", lambda: 0.5316))
    assert (r.status, r.failed) == ("refuted", True)
    assert r.reproduction["reproduced"] is False
    assert r.counterexample == {"published": "0.531", "recomputed": "0.5316", "tolerance": "0.0005"}
    assert r.reason.startswith("not reproduced")
    assert _check(Reported("q", "0.531", lambda: 0.5316), expected="refuted").failed is False


def test_a_crashing_or_nonfinite_recomputation_is_an_error_not_a_verdict() -> None:
    assert _check(Reported("q", "1.0", lambda: 1 / 0)).status == "error"
    assert _check(Reported("q", "1.0", lambda: float("nan"))).status == "error"


def test_a_complex_recomputation_is_an_error_not_its_real_part() -> None:
    """float() of NumPy's complex128(1 + 1j) warns and keeps 1: an eigenvalue 1 + i was confirmed as "1"."""
    import numpy as np

    r = _check(
        Reported("largest eigenvalue", "1", lambda: np.linalg.eigvals(np.array([[1.0, -1.0], [1.0, 1.0]])).max())
    )
    assert r.status == "error" and "complex number" in r.reason
    assert _check(Reported("q", "0.5", lambda: np.complex128(0.5 + 3j))).status == "error"
    assert _check(Reported("q", "0.5", lambda: np.complex128(0.5 + 0j))).status == "confirmed"  # a real number
    assert _check(Reported("q", "0.5", lambda: np.complex128(0.7 + 0j))).status == "refuted"


@pytest.mark.parametrize("bad", ["abc", "inf", ""])
def test_unprintable_published_value_is_rejected(bad: str) -> None:
    with pytest.raises(ClaimError):
        Reported("q", bad, lambda: 0.0)


def test_latex_escapes_the_quantity() -> None:
    assert Reported(r"50% _x_ #1 \input{a}", "1", lambda: 1.0).latex() == (
        r"\text{50\% \_x\_ \#1 \textbackslash{}input\{a\}} = 1"
    )


@pytest.mark.parametrize(
    ("published", "recomputed", "status"),
    [
        ("0.53", 0.525, "confirmed"),  # |0.525 − 0.53| is 0.00499999999999997780 in the float's exact value
        ("0.33333333333333334", 1 / 3, "refuted"),  # 1/3 as a float is 0.333333333333333314…: 2.5e-17 off
        ("1e-400", 0.0, "refuted"),  # tolerance 5e-401: 0 is 1e-400 away
        ("1e400", 10**400, "confirmed"),  # an exact integer, past the largest float
    ],
    ids=["half-unit", "seventeen-digits", "underflow", "beyond-floats"],
)
def test_printed_numbers_are_compared_in_decimal_not_in_floats(published, recomputed, status):
    r = _check(Reported("q", published, lambda: recomputed), "holds" if status == "confirmed" else "refuted")
    assert r.status == status, r.reason
