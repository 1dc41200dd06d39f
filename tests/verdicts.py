"""The ci profile without the diagnosis: for tests of verdicts, counterexamples and reports that are
not about repair hints or ledgers (the diagnosis runs after the verdict and never changes it, which
tests/test_diagnosis.py checks), so the suite does not pay for hints it never reads."""

from dataclasses import replace

from verify.model import Claim, Derivation, Source, Step
from verify.profiles import PROFILES
from verify.results import StepResult
from verify.run.check import check_step

VERDICTS = replace(PROFILES["ci"], diagnose=False)


def check(claim: Claim) -> StepResult:
    """``claim`` checked as the one step of a derivation, under :data:`VERDICTS`."""
    step = Step(id="under_test", claim=claim)
    return check_step(Derivation(id="t", title="t", source=Source("doc.txt", "x"), steps=[step]), step, VERDICTS)
