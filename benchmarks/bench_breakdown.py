"""Where the CPU time of a cold `verify all` goes, phase by phase, in one process.

Every registered step is checked serially, as a worker process would check it, with the phases
timed apart:

- startup: importing the engine and loading the registry (paid once per run);
- building: ``claim.obligations()`` (families of claims are built up to their largest size);
- LaTeX and keys: printing the claim for the result, hashing it for the verdict cache;
- Hypothesis: the fuzzer's searches minus the time spent evaluating points, i.e. Hypothesis
  generating, mutating and shrinking examples and running its per-example machinery (and the
  bulk sampler drawing its points, microseconds each);
- probes: evaluating points with mpmath (precision escalation included), hypotheses included;
- symbolic: the SymPy strategies;
- diagnosis: repair hints of refuted steps and assumption ledgers of true ones (their own
  searches and proofs included).

The floor printed at the end is what a cold run on ``--jobs`` cores would take if Hypothesis
cost nothing and the steps divided perfectly among the cores: the part of the cost that no
change to the fuzzer's sampling can remove.

Usage: python benchmarks/bench_breakdown.py [--jobs N] [--only KIND] [--top K]
"""

from __future__ import annotations

import argparse
import collections
import time

PHASES = ("building", "LaTeX and keys", "Hypothesis", "probes", "symbolic", "diagnosis")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2, help="cores the floor is computed for")
    ap.add_argument("--only", choices=("core", "audit", "experiment"), help="one kind of derivation")
    ap.add_argument("--top", type=int, default=15, help="rows of the per-step table")
    args = ap.parse_args()

    start = time.perf_counter()
    import verify.run.attempt as attempt
    import verify.run.check as check
    import verify.search.fuzz as numeric
    from verify.profiles import PROFILES
    from verify.run.cache import claim_key
    from verify.run.registry import builtin_package, load

    registry = load((builtin_package(),))
    startup = time.perf_counter() - start
    profile = PROFILES["ci"]
    totals: collections.Counter[str] = collections.Counter()
    per_step: list[tuple[float, str, collections.Counter[str]]] = []
    current: collections.Counter[str] = collections.Counter()

    def timed(phase: str, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                current[phase] += time.perf_counter() - t

        return wrapper

    depth = [0]  # a search inside a search (a bulk search's Hypothesis share) is timed by the outer one

    def timed_search(search):
        def wrapper(sampler, probe, prof, *rest):
            if depth[0]:
                return search(sampler, probe, prof, *rest)
            before = current["probes"]
            t = time.perf_counter()
            depth[0] += 1
            try:
                return search(sampler, timed("probes", probe), prof, *rest)
            finally:
                depth[0] -= 1
                current["Hypothesis"] += time.perf_counter() - t - (current["probes"] - before)

        return wrapper

    def timed_diagnosis(*a, **kw):
        # the diagnosis's own searches and proofs are its cost, not the verdict's
        saved = collections.Counter(current)
        t = time.perf_counter()
        try:
            return diagnose(*a, **kw)
        finally:
            current.clear()
            current.update(saved)
            current["diagnosis"] += time.perf_counter() - t

    numeric._search, numeric._sampled = timed_search(numeric._search), timed_search(numeric._sampled)
    diagnose = check.diagnose
    check.diagnose = timed_diagnosis
    attempt.prove = timed("symbolic", attempt.prove)
    check.base_fields = timed("LaTeX and keys", check.base_fields)  # the step's text, printed once
    derivations = registry.select(kinds=[args.only] if args.only else None)
    for d in derivations:
        for step in d.steps:
            current.clear()
            t = time.perf_counter()
            try:  # built once for the key and the check, as check_or_reuse does
                obligations = timed("building", step.claim.obligations)()
            except Exception:  # a malformed claim: check_step reports it
                obligations = None
            timed("LaTeX and keys", claim_key)(step, "bench", obligations)
            check.check_step(d, step, profile, obligations)
            per_step.append((time.perf_counter() - t, f"{d.id}::{step.id}", collections.Counter(current)))
            totals.update(current)

    steps_total = sum(s for s, _, _ in per_step)
    other = steps_total - sum(totals[p] for p in PHASES)
    print(f"{len(per_step)} steps of {len(derivations)} derivations, profile {profile.name}, one process")
    print(f"  {'startup':16s} {startup:7.2f} s  (imports and registry, once per run)")
    for phase in PHASES:
        print(f"  {phase:16s} {totals[phase]:7.2f} s  {100 * totals[phase] / steps_total:5.1f}%")
    print(f"  {'other':16s} {other:7.2f} s  {100 * other / steps_total:5.1f}%")
    print(f"  {'steps in all':16s} {steps_total:7.2f} s")
    floor = startup + (steps_total - totals["Hypothesis"]) / args.jobs
    print(f"\nfloor on {args.jobs} cores without any Hypothesis cost: {floor:.1f} s; with it: ", end="")
    print(f"{startup + steps_total / args.jobs:.1f} s")
    print(f"\nslowest {args.top} steps (seconds by phase):")
    for seconds, name, phases in sorted(per_step, key=lambda r: -r[0])[: args.top]:
        parts = ", ".join(f"{p} {phases[p]:.2f}" for p in PHASES if phases[p] >= 0.01)
        print(f"  {seconds:6.2f} s  {name}  ({parts})")


if __name__ == "__main__":
    main()
