"""What a proof report says, independent of its format: grouping, verdict and method wording.

The LaTeX, Markdown and JUnit renderers share these so the three never disagree; the console and
the plain log name a counterexample's symbols as the reports do (:func:`counterexample_rows`).
Nothing here checks anything: every sentence is derived from the fields of a
:class:`~verify.results.StepResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

from verify.results import COUNTS, DerivationResult, RunResult, StepResult
from verify.unicode_tex import unicode_name

PART_TITLES = {"core": "Derivations", "audit": "Audits", "experiment": "Experiments"}


@dataclass
class Group:
    """Derivations of one source document (``document`` is None for the core part)."""

    document: str | None
    derivations: list[DerivationResult]


@dataclass
class Part:
    kind: str
    title: str
    groups: list[Group]


def parts(result: RunResult) -> list[Part]:
    """Core derivations first, then audits and experiments grouped by source document."""
    kinds = list(PART_TITLES) + sorted({d.kind for d in result.derivations} - set(PART_TITLES))
    out = []
    for kind in kinds:
        members = [d for d in result.derivations if d.kind == kind]
        if not members:
            continue
        if kind == "core":
            groups = [Group(None, members)]
        else:
            documents = sorted({d.source.get("document", "") for d in members})
            groups = [Group(doc, [d for d in members if d.source.get("document", "") == doc]) for doc in documents]
        out.append(Part(kind, PART_TITLES.get(kind, kind.capitalize()), groups))
    return out


#: how a summary names each count
COUNT_NAMES = {k: k.replace("_", " ") for k in COUNTS}
#: the explanation printed beside a non-zero count of steps not reproduced
NOT_REPRODUCED = "not reproduced under an assumption the document does not state"


def counts_text(summary: dict) -> str:
    """``"3 proved, 1 confirmed, 2 refuted, 0 error, 0 timeout"``, with ``"1 not reproduced under an assumption
    the document does not state"`` after the refuted count when there is one."""
    return ", ".join(
        f"{summary[k]} {NOT_REPRODUCED if k == 'not_reproduced' else k}"
        for k in COUNTS
        if k != "not_reproduced" or summary.get(k)
    )


def counts(derivation: DerivationResult) -> dict[str, int]:
    """Steps per status (a refuted step under an assumption of ours apart, as ``not_reproduced``), plus ``failed``."""
    out = {k: sum(step.count == k for step in derivation.steps) for k in COUNTS}
    out["failed"] = sum(step.failed for step in derivation.steps)
    return out


def verified_line(derivation: DerivationResult) -> str:
    """How many steps hold together with every step they use (the blueprint status, from ``uses``)."""
    ok = derivation.verified()
    return f"{sum(ok.values())} of {len(ok)} steps verified with everything they use"


def location(source: dict[str, str]) -> str:
    return " ".join(x for x in (source.get("document", ""), source.get("location", "")) if x)


def error(x: float) -> str:
    return f"{x:.2g}"


def verdict(step: StepResult) -> str:
    """One phrase: the status and how it relates to the expectation."""
    if step.correction_status == "refuted":
        return f"FAILED: {step.status}, but its corrected form is refuted"
    if step.expected == "refuted":
        if step.status == "refuted":
            return "refuted, as expected (a documented error in the source)"
        return f"FAILED: expected refuted (a documented error), but {step.status}"
    if step.failed:
        return f"FAILED: expected to hold, but {step.status}"
    return step.status


def correction_note(step: StepResult) -> str:
    """How a step's corrected form was checked: its status (with the reason when it does not hold), or
    that it was not (a display, or a step stopped before its correction was checked)."""
    if step.correction_status is None:  # a corrected claim is checked whenever the step's check finishes
        finished = step.status in ("proved", "confirmed", "refuted")
        return "a display, not checked as written" if finished else "not checked"
    if step.correction_status in ("proved", "confirmed") or not step.correction_reason:
        return step.correction_status
    return f"{step.correction_status}: {step.correction_reason}"


def method(step: StepResult) -> str:
    """How the status was reached: symbolic method, numeric samples and worst relative error.

    Only fields of the verdict are used, so a verdict replayed from the cache reads exactly as when
    it was checked (whether it was reused belongs in the run's log, not in a report).
    """
    numeric = f"{step.samples} numeric sample{'' if step.samples == 1 else 's'}"
    if step.samples and step.status in ("proved", "confirmed"):
        numeric += f", worst relative error {error(step.max_rel_error)}"
    if step.status == "proved":
        how = f"symbolic ({step.symbolic_method})" if step.symbolic_method else "symbolic"
        if not step.crosschecked:
            return f"{how}; NOT cross-checked numerically ({numeric})"
        return f"{how}; numeric cross-check: {numeric}" if step.samples else how
    if step.status == "confirmed":
        return f"numeric only: {numeric}"
    if step.status == "refuted":
        return f"numeric: counterexample after {numeric}" if step.samples else "numeric: counterexample"
    if step.status == "timeout":
        return "timed out"
    return f"not evaluated ({step.method})" if step.method else "not evaluated"


def hint_lines(step: StepResult) -> list[str]:
    """A refuted step's repair hints in words, each with the status of the edited claim."""
    if step.hints is None:
        return []
    if not step.hints:
        return ["no single edit of the claim that the engine proves or confirms"]
    return [f"{h.get('edit', '')} → {h.get('status', '')}" for h in step.hints]


def ledger_line(step: StepResult, points: bool = True) -> str | None:
    """A true step's assumption ledger in one line: each assumption, what widening it showed (and,
    with ``points``, where a necessary one fails, by the symbols' names: for logs, not reports)."""
    if not step.ledger:
        return None
    parts = []
    for e in step.ledger:
        at = e.get("shown_at")
        where = f" (fails at {at})" if points and isinstance(at, str) and at else ""
        parts.append(f"{e.get('assumption', '')}: {e.get('verdict', '')}{where}")
    return "; ".join(parts)


def notes(step: StepResult) -> list[tuple[str, str]]:
    """``(label, text)`` lines shown under a step: reason, scope, diagnosis, repair hints, assumptions."""
    out = []
    if step.reason == "counterexample found" and step.counterexample:
        pass  # said by the counterexample table itself
    elif step.reason and step.status != "proved":
        out.append(("reason", step.reason))
    elif step.reason:
        out.append(("note", step.reason))
    if step.scope:
        out.append(("scope", step.scope))
    if step.diagnosis:
        out.append(("diagnosis", step.diagnosis))
    out.extend(("repair hint", h) for h in hint_lines(step))
    if (ledger := ledger_line(step, points=False)) is not None:
        out.append(("assumptions", ledger))
    if step.diagnosis_note:
        out.append(("diagnosis note", step.diagnosis_note))
    if step.assumes:
        out.append(("assumes", step.assumes))
    if step.trivial:
        out.append(("closed when built", step.trivial))
    if step.anchors:
        out.append(("anchor", "; ".join(step.anchors)))
    return out


def counterexample_rows(step: StepResult) -> list[tuple[str, str | None, str]]:
    """The counterexample as ``(symbol, its declared LaTeX or None, value)`` rows.

    The LaTeX comes from the result (:attr:`~verify.results.StepResult.counterexample_latex`) and
    is untrusted when the result was read from a file: renderers pass it through
    :func:`~verify.render.safe_tex.safe_math`. None (results of older versions): print the name.
    """
    names = step.counterexample_latex or {}
    return [(k, names.get(k), v) for k, v in (step.counterexample or {}).items()]


def display_name(key: str, latex: str | None) -> str:
    """A counterexample's symbol as plain text: its declared notation in Unicode (``\\lambda_{D}`` →
    ``λ_D``), else (no LaTeX, or more than a name) its internal name ``key``."""
    return (unicode_name(latex) if latex else None) or key


def display_point(step: StepResult, limit: int = 12) -> str:
    """The counterexample as ``name=value`` pairs in the declared notation (:func:`display_name`; two
    symbols declared alike are told apart by their internal names), at most ``limit`` of them (a
    large instance says how many more): for logs, terminals, JUnit and pytest."""
    rows = [(k, display_name(k, latex), v) for k, latex, v in counterexample_rows(step)]
    shown = [name for _, name, _ in rows]
    items = [f"{name if shown.count(name) == 1 else f'{name} [{k}]'}={v}" for k, name, v in rows]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f", … ({more} more)" if more > 0 else "")


def coverage_line(result: RunResult, document: str) -> str | None:
    """``Coverage: 22 displays: 20 covered, 2 recorded, 0 missing`` for ``document``, if the run has its ledger."""
    for c in result.coverage:
        if c.document == document:
            missing = ", ".join(d.name for d in c.missing)
            errors = f"; {len(c.errors)} anchor(s) not found" if c.errors else ""
            return f"Coverage: {c.line()}" + (f" (missing: {missing})" if missing else "") + errors + "."
    return None


def reproduction_rows(step: StepResult) -> list[tuple[str, str]]:
    """Published vs recomputed value of a reported number, as ``(field, value)`` rows."""
    r = step.reproduction or {}
    keys = ("quantity", "published", "recomputed", "tolerance", "reproduced")
    return [(k, _plain(r[k])) for k in keys if k in r] + [(k, _plain(v)) for k, v in r.items() if k not in keys]


def _plain(v: object) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def environment_rows(result: RunResult) -> list[tuple[str, str]]:
    env = dict(result.environment)
    rows = [("verify", result.tool_version), ("profile", result.profile)]
    rows += [(k, v) for k, v in env.items() if k != "profile"]
    return rows  # no run time: a report depends on the verdicts only


def overall(result: RunResult) -> str:
    s = result.summary()
    head = f"{s['derivations']} derivations, {s['steps']} steps: " + counts_text(s)
    return head + (f"; {s['failed']} FAILED" if s["failed"] else "; all as expected")
