"""Fuzzing profiles: how hard the numeric checker tries (recorded in every result).

Kept free of heavy imports so that the command line can name, validate and fingerprint a
profile without loading SymPy or Hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """How hard the numeric checker tries. ``ci`` is deterministic; ``thorough`` is not."""

    name: str
    #: points per full search (Hypothesis draws a tenth, at least one, and the rest are drawn in bulk)
    samples: int
    derandomize: bool
    crosscheck_samples: int = 25
    family_samples: int = 15
    dps: int = 30
    rel_tol: float = 1e-15
    symbolic_budget: float = 1.5
    seed: int = 0
    #: candidates Hypothesis may try while shrinking a counterexample (the smallest so far is kept);
    #: a count, not a time, so that a run's counterexample does not depend on the machine's speed
    shrink_examples: int = 500
    #: safety limit in CPU seconds on shrinking one counterexample (reported when it stops a shrink)
    shrink_seconds: float = 20.0
    #: repair hints for a refuted step and the assumption ledger of a true one (verify/diagnose)
    diagnose: bool = True
    #: single edits of a refuted claim screened at the counterexample and a few more points
    hint_candidates: int = 400
    #: screened edits given a short search (of ``hint_screen_samples`` points) before a full check
    hint_screens: int = 6
    hint_screen_samples: int = 30
    #: edits checked fully (as a step is, with ``hint_symbolic_budget``), and hints kept
    hint_checks: int = 2
    hints_shown: int = 2
    hint_symbolic_budget: float = 0.5
    #: points searched per widened assumption of the ledger
    ledger_samples: int = 8
    #: safety limit in CPU seconds on diagnosing one step (reported when it stops the diagnosis)
    diagnosis_seconds: float = 3.0


PROFILES = {
    "ci": Profile("ci", samples=200, derandomize=True),
    "thorough": Profile(
        "thorough",
        samples=2000,
        derandomize=False,
        crosscheck_samples=300,
        family_samples=300,
        symbolic_budget=10.0,
        shrink_examples=5000,
        shrink_seconds=120.0,
        hint_candidates=2000,
        hint_screens=40,
        hint_screen_samples=40,
        hint_checks=8,
        hint_symbolic_budget=2.0,
        ledger_samples=60,
        diagnosis_seconds=60.0,
    ),
}

#: the hard wall-clock limit per step in seconds, for the ``ci`` profile's sample count (scaled
#: with the profile's samples: the ``thorough`` profile gets ten times as long)
DEFAULT_STEP_TIMEOUT = 300.0


def default_step_timeout(profile: Profile) -> float:
    """The default hard limit per step: 300 s at the ``ci`` profile's 200 samples, scaled up with samples."""
    return DEFAULT_STEP_TIMEOUT * max(1.0, profile.samples / PROFILES["ci"].samples)
