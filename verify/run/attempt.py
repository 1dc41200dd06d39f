"""One claim's obligations: search for a violation, attempt the proof, and let the kernel decide.

The order saves work without changing any verdict: every obligation the claim implies is first
fuzzed with the small cross-check sample a proof gets (a counterexample there settles the claim
without spending the symbolic budget on a false claim); then the obligations of the proof are
attempted symbolically, in order, up to the first that is not proved (the claim is then not
proved whatever the rest gives: a family's larger sizes are not attempted after a smaller one
failed); if the proof does not go through, the implied obligations are searched with the
profile's full sample count. :func:`verify.kernel.verdict.decide` turns the outcomes
into the status; nothing here can make a claim ``proved``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from verify.domains import Domain, domain_of, latex_of
from verify.errors import ClaimError
from verify.kernel.obligations import Conditional, Obligation
from verify.kernel.prover import prove
from verify.kernel.verdict import Evidence, Verdict, decide
from verify.profiles import Profile
from verify.search.fuzz import NumericOutcome, SearchMemory, fuzz


@dataclass
class Attempt:
    """The kernel's verdict on a list of obligations and the numeric evidence behind it."""

    verdict: Verdict
    numeric: dict[int, NumericOutcome]
    worst: float = 0.0
    reproduction: dict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> int:
        """The points decided, each counted once (an obligation's last search counts all of its searches')."""
        return sum(o.samples for o in self.numeric.values())

    @property
    def refuting(self) -> NumericOutcome | None:
        """The search outcome that refutes the claim (None unless refuted)."""
        return self.numeric[self.verdict.refuting] if self.verdict.refuting is not None else None


def claim_domains(obligations: list[Obligation]) -> dict[sp.Symbol, Domain]:
    """The declared domain of every free symbol; two different symbols of one name are an error
    (the numeric checker evaluates by name)."""
    domains: dict[sp.Symbol, Domain] = {}
    names: dict[str, sp.Symbol] = {}
    for ob in obligations:
        for s in ob.free_symbols():
            other = names.setdefault(s.name, s)
            if other != s:
                raise ClaimError(
                    f"two different symbols are named {s.name!r} in one claim (declared with other domains or "
                    f"LaTeX names: {domain_of(other).name} {latex_of(other)!r}, {domain_of(s).name} "
                    f"{latex_of(s)!r}); rename one of them or declare it once"
                )
            domains[s] = domain_of(s)
    return domains


def _samples_first(ob: Obligation, profile: Profile) -> int:
    if isinstance(ob, Conditional):
        return profile.samples  # a search for an instance of the hypotheses violating the conclusion
    return profile.family_samples if ob.numeric_only else profile.crosscheck_samples


def attempt(obligations: list[Obligation], domains: dict[sp.Symbol, Domain], profile: Profile) -> Attempt:
    """Check ``obligations`` (with every free symbol's domain in ``domains``) under ``profile``."""
    fuzzed = [i for i, ob in enumerate(obligations) if ob.fuzzed]
    out = Attempt(Verdict("error"), {})
    symbolic = {}
    memory = SearchMemory()  # the full search extends the cross-check sample's

    def search(i: int, n: int) -> bool:
        """Fuzz obligation ``i`` with ``n`` samples; True when it was refuted."""
        num = fuzz(obligations[i], domains, profile, samples=n, memory=memory)
        if num.reproduction is not None:  # a reported number: say what was recomputed either way
            out.reproduction = num.reproduction
            if num.status == "confirmed" and num.reason:
                out.notes.append(num.reason)
        out.worst = max(out.worst, num.max_rel_error)
        out.numeric[i] = num  # its samples count every point of i's searches so far, once
        return num.status == "refuted"

    def decided() -> Attempt:
        evidence = {i: Evidence(n.status, n.samples, n.reason) for i, n in out.numeric.items()}
        out.verdict = decide(obligations, symbolic, evidence, out.notes)
        return out

    for i in fuzzed:
        ob = obligations[i]
        if isinstance(ob, Conditional) and ob.numeric_only:
            out.notes.append(f"{ob.label + ': ' if ob.label else ''}hypotheses: searched numerically only")
        if search(i, _samples_first(ob, profile)):
            return decided()
    proof = [i for i, ob in enumerate(obligations) if ob.proof_part]
    for n, i in enumerate(proof):
        symbolic[i] = prove(obligations[i], profile.symbolic_budget)
        if symbolic[i].status != "proved":  # the claim cannot be proved now: the rest is not attempted
            rest = ", ".join(dict.fromkeys(obligations[j].label or "the rest" for j in proof[n + 1 :]))
            if rest:
                failed = obligations[i].label or "an earlier part"
                out.notes.append(f"{rest}: not attempted symbolically once {failed} was not proved")
            break
    if symbolic and all(o.status == "proved" for o in symbolic.values()):
        return decided()
    for i in fuzzed:  # not proved: the full search (a Conditional had it already)
        ob = obligations[i]
        if isinstance(ob, Conditional) or ob.numeric_only or out.numeric[i].status == "error":
            continue
        if search(i, profile.samples):
            return decided()
    return decided()
