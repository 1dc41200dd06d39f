"""A refuted step's corrected form is checked with it: a false correction fails the step.

An audit shows its corrected form as the right statement; one that is itself false (000's Step 2
was "corrected" to r = log p + β log π_ref, false as an identity) misleads more than no correction.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from tests.verdicts import VERDICTS
from verify import Derivation, Equal, Inequality, Source, Step, var
from verify.domains import POSITIVE, REAL
from verify.render.plain import github_annotations, recap
from verify.results import DerivationResult, RunResult
from verify.run.cache import claim_key, settings_fingerprint
from verify.run.check import check_step

x = var("x_corr", REAL)
b = var("b_corr", POSITIVE)


def _check(step: Step):
    d = Derivation("paper", "Paper", Source("paper.txt"), [step], kind="audit")
    return check_step(d, step, VERDICTS)


def _wrong_sign(correction) -> Step:
    return Step(
        "sign_as_written", Equal(b * x, -b * x), "as printed", "eq. 3", expected="refuted", correction=correction
    )


def test_a_false_correction_fails_the_step_with_its_counterexample() -> None:
    r = _check(_wrong_sign(Equal(b * x, b * x + b)))  # off by b everywhere
    assert (r.status, r.correction_status, r.failed) == ("refuted", "refuted", True)
    at = dict(part.split(" = ") for part in r.correction_reason.split(" at ", 1)[1].split(", "))
    assert float(at["b_corr"]) > 0  # the counterexample really violates b·x = b·x + b
    run = RunResult([DerivationResult("paper", "Paper", "audit", {"document": "paper.txt"}, [r])], 0.0, "0")
    assert any("corrected form is refuted" in line for line in recap(run))
    assert "corrected form is refuted" in github_annotations(run)[0]


def test_a_true_correction_is_proved_and_the_step_passes() -> None:
    r = _check(_wrong_sign(Equal(b * (x + 1), b * x + b)))
    assert (r.status, r.correction_status, r.failed) == ("refuted", "proved", False)
    r = _check(_wrong_sign(Inequality(sp.exp(x), ">=", 1 + x)))
    assert (r.correction_status, r.failed) in (("proved", False), ("confirmed", False))
    with mpmath.workdps(30):  # independently: e^x ≥ 1 + x is true
        assert all(mpmath.exp(v) >= 1 + v for v in (mpmath.mpf(-3), mpmath.mpf(0), mpmath.mpf("1e-10")))


def test_a_display_correction_is_marked_unchecked() -> None:
    cov = var("cov_corr", REAL)
    r = _check(_wrong_sign(sp.Implies(sp.Gt(cov, 0), sp.Gt(x, 0))))
    assert (r.status, r.correction_status, r.failed) == ("refuted", None, False)
    assert r.correction_latex


def test_a_changed_correction_is_checked_again() -> None:
    settings = settings_fingerprint(VERDICTS)
    one, two = _wrong_sign(Equal(b * (x + 1), b * x + b)), _wrong_sign(Equal(b * (x + 1), b * x))
    assert claim_key(one, settings) != claim_key(two, settings)
    assert claim_key(one, settings) == claim_key(_wrong_sign(Equal(b * (x + 1), b * x + b)), settings)


def test_a_step_whose_correction_could_not_be_decided_is_not_replayed() -> None:
    from dataclasses import replace

    from verify.run.cache import reusable

    r = _check(_wrong_sign(Equal(b * (x + 1), b * x + b)))
    assert reusable(r)
    assert not reusable(replace(r, correction_status="error", correction_reason="no point could be evaluated"))
