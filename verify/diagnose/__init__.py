"""Diagnosis of a checked step: repair hints for a refuted one, the assumption ledger of a true one.

Runs after the kernel's verdict and never changes it: a hint is an edited claim the engine
checked (:mod:`verify.diagnose.hints`), a ledger entry a search outside one declared assumption
(:mod:`verify.diagnose.ledger`). Both are part of the step's result, so they are cached with its
verdict; ``--no-diagnosis`` (the profile's ``diagnose``) turns them off.
"""

from __future__ import annotations

import time

import sympy as sp

from verify.diagnose.hints import Hint, repair_hints
from verify.diagnose.ledger import Entry, assumption_ledger
from verify.domains import Domain
from verify.kernel.budget import Deadline
from verify.kernel.obligations import Obligation
from verify.model import Claim, Reported
from verify.profiles import Profile
from verify.run.attempt import Attempt

__all__ = ["Entry", "Hint", "assumption_ledger", "diagnose", "repair_hints"]


def diagnose(
    claim: Claim, obligations: list[Obligation], done: Attempt, domains: dict[sp.Symbol, Domain], profile: Profile
) -> dict:
    """The diagnosis fields of a step's result (``hints``, ``ledger``, ``diagnosis_note``)."""
    status = done.verdict.status
    deadline = Deadline(time.process_time() + profile.diagnosis_seconds)
    out: dict = {}
    try:
        if status == "refuted" and not isinstance(claim, Reported):
            index = done.verdict.refuting
            label = obligations[index].label if index is not None else ""
            hints = repair_hints(claim, done.refuting, label, domains, profile, deadline)
            out["hints"] = [h.to_json() for h in hints]
        elif status in ("proved", "confirmed") and domains:
            out["ledger"] = [e.to_json() for e in assumption_ledger(obligations, domains, profile, deadline)]
    except Exception as exc:  # a diagnosis bug never costs the verdict: reported with the step
        return {"diagnosis_note": f"the diagnosis failed: {type(exc).__name__}: {exc}"}
    if deadline.passed():
        out["diagnosis_note"] = f"the diagnosis stopped at its {profile.diagnosis_seconds:g} s safety limit"
    return out
