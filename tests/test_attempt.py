"""The order of one claim's checks (verify/run/attempt.py): it saves work, never changes a status."""

from __future__ import annotations

import sympy as sp

import verify.run.attempt as attempt_module
from verify.domains import POSITIVE, var
from verify.kernel.obligations import Equation
from verify.kernel.prover import SymbolicOutcome, prove
from verify.profiles import PROFILES
from verify.run.attempt import attempt, claim_domains

CI = PROFILES["ci"]
x, y = var("x", POSITIVE), var("y", POSITIVE)
#: a family's members: three true identities, smallest first
MEMBERS = [Equation(label=f"n={n}", lhs=sp.log(x**n * y), rhs=n * sp.log(x) + sp.log(y)) for n in (2, 3, 4)]


def _recording(monkeypatch, first: SymbolicOutcome | None) -> list[str]:
    """``prove`` recorded; the first obligation gets ``first`` (None: proved as usual)."""
    seen: list[str] = []

    def recorded(ob, budget):
        seen.append(ob.label)
        return first if first is not None and len(seen) == 1 else prove(ob, budget)

    monkeypatch.setattr(attempt_module, "prove", recorded)
    return seen


def test_every_member_of_a_proof_is_attempted_when_each_is_proved(monkeypatch):
    seen = _recording(monkeypatch, None)
    done = attempt(MEMBERS, claim_domains(MEMBERS), CI)
    assert done.verdict.status == "proved" and seen == ["n=2", "n=3", "n=4"]


def test_the_proof_stops_at_the_first_member_that_is_not_proved(monkeypatch):
    seen = _recording(monkeypatch, SymbolicOutcome("unproved", reason="no strategy"))
    done = attempt(MEMBERS, claim_domains(MEMBERS), CI)
    assert seen == ["n=2"]  # the larger members are not attempted: the claim cannot be proved now
    assert done.verdict.status == "confirmed" and done.verdict.final  # searched with the full sample
    assert all(done.numeric[i].samples >= CI.samples for i in range(3))
    assert "n=2: no strategy" in done.verdict.reason
    assert "n=3, n=4: not attempted symbolically once n=2 was not proved" in done.verdict.reason


def test_a_proof_cut_short_by_its_budget_stays_not_final_when_it_stops_early(monkeypatch):
    seen = _recording(monkeypatch, SymbolicOutcome("timeout", reason="exceeded 1.5 s"))
    done = attempt(MEMBERS, claim_domains(MEMBERS), CI)
    assert seen == ["n=2"]
    assert done.verdict.status == "confirmed" and not done.verdict.final
