"""Differential soundness: mutants of every built-in step, the prover alone beside the fuzzer alone.

Usage: python benchmarks/differential.py [--limit-per-obligation N] [--only DERIVATION_ID ...]
       [--jobs N] [--budget S] [--samples N] [--task-timeout S] [--json PATH]

Every obligation of every built-in step that the prover attempts (role ``exact`` or ``sufficient``;
a ForSizes claim contributes each of its symbolic sizes; Recomputations are numeric only and
skipped) is mutated by :mod:`verify.search.mutants`. Each mutant goes to the symbolic prover
alone and to the fuzzer alone. A mutant the prover calls ``proved`` while the fuzzer finds a
violation (one that survived the fuzzer's precision escalation) is a kernel bug: a
DISAGREEMENT. The exit code is 1 if there is any.

Counts: ``proved`` and ``refuted`` per checker; ``agreed-true`` (proved and confirmed),
``caught`` (refuted, not proved), ``both-unknown`` (neither proved nor refuted), ``disagreements``
(proved and refuted; LimitOf ones listed apart, as the numeric limit checker is the weaker of
the two). Identical mutant obligations (audits restate core steps) are checked once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verify.domains import domain_of
from verify.kernel import prover
from verify.kernel.obligations import LimitOf, Obligation, Recomputation
from verify.run import pool
from verify.search import fuzz as fuzzer
from verify.search.mutants import Mutant, mutants

DEFAULT_LIMIT = 6
DEFAULT_BUDGET = 1.5
DEFAULT_TASK_TIMEOUT = 300.0


@dataclass(frozen=True)
class Case:
    """One mutant of one obligation of one step."""

    derivation: str
    step: str
    obligation: str  # the obligation's kind and label, e.g. "Equation n=3"
    mutant: Mutant


@dataclass
class Verdict:
    """What each checker said of one mutant."""

    derivation: str
    step: str
    obligation: str
    kind: str  # the mutation's kind
    description: str
    limit: bool  # a LimitOf obligation
    prover: str = "not run"
    method: str | None = None
    prover_reason: str | None = None
    fuzzer: str = "not run"
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    fuzzer_reason: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        proved, refuted = self.prover == "proved", self.fuzzer == "refuted"
        if proved and refuted:
            return "disagreement"
        if proved:
            return "agreed-true" if self.fuzzer == "confirmed" else "proved, fuzzer error"
        return "caught" if refuted else "both-unknown"


def _label(ob: Obligation) -> str:
    return f"{type(ob).__name__} {ob.label}".strip()


def cases(
    registry,
    only: Sequence[str] | None = None,
    limit: int | None = DEFAULT_LIMIT,
    steps: Iterable[tuple[str, str]] | None = None,
) -> list[Case]:
    """The mutants of every proof-part obligation of every step (of the derivations ``only`` names;
    of the ``(derivation, step)`` pairs ``steps`` names)."""
    wanted = None if steps is None else set(steps)
    out = []
    for d in registry.select(list(only) if only else None):
        for step in d.steps:
            if wanted is not None and (d.id, step.id) not in wanted:
                continue
            for ob in step.claim.obligations():
                if isinstance(ob, Recomputation) or not ob.proof_part:
                    continue
                out.extend(Case(d.id, step.id, _label(ob), m) for m in mutants(ob, limit=limit))
    return out


def _key(ob: Obligation) -> Obligation:
    """The obligation without what neither checker reads (its label), to check repeats once."""
    return replace(ob, label="")


# --- the two checkers, each alone ----------------------------------------------------------------


def run_prover(ob: Obligation, budget: float) -> dict:
    start = time.perf_counter()
    out = prover.prove(ob, budget)  # looked up on the module, so a test can plant a bug in it
    return {"prover": out.status, "method": out.method, "prover_reason": out.reason, "t": time.perf_counter() - start}


def run_fuzzer(ob: Obligation, samples: int | None, profile: str = "ci") -> dict:
    start = time.perf_counter()
    domains = {s: domain_of(s) for s in ob.free_symbols()}
    out = fuzzer.fuzz(ob, domains, fuzzer.PROFILES[profile], samples=samples)
    return {
        "fuzzer": out.status,
        "counterexample": out.counterexample,
        "values": out.values,
        "fuzzer_reason": out.reason,
        "t": time.perf_counter() - start,
    }


_TASKS: list[Obligation] = []  # read by forked workers
_OPTIONS: dict = {}


def _work(task: tuple[int, str]) -> dict:
    i, which = task
    ob = _TASKS[i]
    if which == "prove":
        return run_prover(ob, _OPTIONS["budget"])
    return run_fuzzer(ob, _OPTIONS["samples"])


def _failed(task: tuple[int, str], status: str, reason: str, elapsed: float) -> dict:
    who = "prover" if task[1] == "prove" else "fuzzer"
    return {who: status, f"{who}_reason": reason, "t": elapsed}


def _size(ob: Obligation) -> int:
    return len(str(ob))


def check(
    selected: Sequence[Case],
    budget: float = DEFAULT_BUDGET,
    samples: int | None = None,
    jobs: int = 1,
    task_timeout: float | None = DEFAULT_TASK_TIMEOUT,
    progress: bool = False,
) -> list[Verdict]:
    """Run the prover alone and the fuzzer alone on every case; one verdict per case, in order.

    With ``jobs > 1`` or a ``task_timeout`` each check runs in a forked worker (killed at the
    timeout, reported as the status ``task timeout``); otherwise in this process.
    """
    global _TASKS, _OPTIONS
    index: dict[Obligation, int] = {}
    for c in selected:
        index.setdefault(_key(c.mutant.obligation), len(index))
    unique = list(index)
    tasks = [
        (i, which) for i in sorted(range(len(unique)), key=lambda i: -_size(unique[i])) for which in ("prove", "fuzz")
    ]
    results: dict[tuple[int, str], dict] = {}
    start = time.perf_counter()
    _TASKS, _OPTIONS = unique, {"budget": budget, "samples": samples}
    if jobs <= 1 and not task_timeout:
        stream = ((k, _work(t)) for k, t in enumerate(tasks))
    else:
        stream = pool.run_tasks(
            tasks,
            _work,
            max(1, jobs),
            task_timeout,
            on_timeout=lambda t, elapsed: _failed(t, "task timeout", f"killed after {elapsed:.0f} s", elapsed),
            on_crash=lambda t, message, elapsed: _failed(t, "task crash", message, elapsed),
        )
    try:
        for done, (k, result) in enumerate(stream, 1):
            results[tasks[k]] = result
            if progress and (done % 50 == 0 or done == len(tasks)):
                print(f"  {done}/{len(tasks)} checks, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    finally:
        _TASKS, _OPTIONS = [], {}
    verdicts = []
    for c in selected:
        i = index[_key(c.mutant.obligation)]
        v = Verdict(
            c.derivation,
            c.step,
            c.obligation,
            c.mutant.kind,
            c.mutant.description,
            isinstance(c.mutant.obligation, LimitOf),
        )
        for which in ("prove", "fuzz"):
            got = dict(results.get((i, which), {}))
            v.seconds[which] = round(got.pop("t", 0.0), 3)
            for name, value in got.items():
                setattr(v, name, value)
        verdicts.append(v)
    return verdicts


# --- reporting -----------------------------------------------------------------------------------


def summary(verdicts: Iterable[Verdict]) -> dict[str, int]:
    """The counts: mutants, proved, refuted and each outcome (see the module docstring)."""
    verdicts = list(verdicts)
    outcomes = Counter(v.outcome for v in verdicts)
    return {
        "mutants": len(verdicts),
        "proved": sum(v.prover == "proved" for v in verdicts),
        "refuted": sum(v.fuzzer == "refuted" for v in verdicts),
        "agreed-true": outcomes["agreed-true"],
        "caught": outcomes["caught"],
        "both-unknown": outcomes["both-unknown"],
        "proved, fuzzer error": outcomes["proved, fuzzer error"],
        "disagreements": outcomes["disagreement"],
        "disagreements (LimitOf)": sum(v.outcome == "disagreement" and v.limit for v in verdicts),
        "prover errors": sum(v.prover in ("error", "task crash") for v in verdicts),
        "prover timeouts": sum(v.prover in ("timeout", "task timeout") for v in verdicts),
        "fuzzer errors": sum(v.fuzzer in ("error", "task crash", "task timeout") for v in verdicts),
    }


def disagreements(verdicts: Iterable[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.outcome == "disagreement"]


def _describe(v: Verdict) -> str:
    lines = [
        f"  {v.derivation}.{v.step} [{v.obligation}]: {v.description}",
        f"      prover: proved by {v.method}",
        f"      fuzzer: refuted at {v.counterexample}",
    ]
    if v.values:
        lines.append(f"      values: {v.values}")
    return "\n".join(lines)


def report(verdicts: Sequence[Verdict], seconds: float | None = None) -> str:
    counts = summary(verdicts)
    width = max(map(len, counts))
    lines = [f"{name:<{width}}  {n}" for name, n in counts.items()]
    by_kind: dict[str, Counter] = {}
    for v in verdicts:
        by_kind.setdefault(v.kind, Counter())[v.outcome] += 1
    lines.append("")
    lines.append(
        f"{'mutation kind':<20} {'mutants':>7} {'caught':>7} {'agreed-true':>11} {'unknown':>7} {'disagree':>8}"
    )
    for kind, c in sorted(by_kind.items()):
        lines.append(
            f"{kind:<20} {sum(c.values()):>7} {c['caught']:>7} {c['agreed-true']:>11}"
            f" {c['both-unknown'] + c['proved, fuzzer error']:>7} {c['disagreement']:>8}"
        )
    bad = disagreements(verdicts)
    for title, group in (
        ("DISAGREEMENTS (proved, yet refuted)", [v for v in bad if not v.limit]),
        (
            "LimitOf DISAGREEMENTS (the numeric limit checker is under repair: judge with care)",
            [v for v in bad if v.limit],
        ),
    ):
        if group:
            lines.append("")
            lines.append(f"{title}: {len(group)}")
            lines.extend(_describe(v) for v in group)
    if seconds is not None:
        lines.append("")
        lines.append(f"wall time {seconds:.1f} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-per-obligation", type=int, default=DEFAULT_LIMIT, metavar="N")
    ap.add_argument("--only", nargs="+", metavar="DERIVATION_ID", help="only these derivations")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--budget", type=float, default=DEFAULT_BUDGET, metavar="S", help="prover budget per strategy")
    ap.add_argument("--samples", type=int, default=None, metavar="N", help="fuzzer samples (default: the ci profile's)")
    ap.add_argument("--task-timeout", type=float, default=DEFAULT_TASK_TIMEOUT, metavar="S")
    ap.add_argument("--json", type=Path, metavar="PATH", help="write every verdict as JSON")
    args = ap.parse_args(argv)

    from verify.run.registry import load

    start = time.perf_counter()
    registry = load(("derivations",))
    for e in registry.errors:
        print(f"load error: {e.module}: {e.reason}", file=sys.stderr)
    selected = cases(registry, args.only, args.limit_per_obligation)
    distinct = len({_key(c.mutant.obligation) for c in selected})
    print(f"{len(selected)} mutants ({distinct} distinct) from {len({(c.derivation, c.step) for c in selected})} steps")
    verdicts = check(selected, args.budget, args.samples, args.jobs, args.task_timeout, progress=True)
    print(report(verdicts, time.perf_counter() - start))
    if args.json:
        args.json.write_text(json.dumps([asdict(v) | {"outcome": v.outcome} for v in verdicts], indent=1, default=str))
    return 1 if disagreements(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
