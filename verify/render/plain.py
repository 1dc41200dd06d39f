"""Plain-text output for logs: one line per step, a recap of failures, CI annotations.

Used when the output is not a terminal (a CI log, a pipe) or with ``--format plain``: nothing is
wrapped or cut, whatever the width, so a log line can be searched for a step id. The recap (every
failed step with its reason and counterexample) and the summary line close every output format;
``--quiet`` prints only those.
"""

from __future__ import annotations

from verify.render._report import counts_text, display_point, hint_lines
from verify.results import RunResult, StepResult, step_failed

_LIMIT = 5  # failed step ids named in the summary line


def _where(step: StepResult) -> str:
    return f"{step.file}:{step.line}" if step.file and step.line else ""


def step_line(derivation_id: str, step: StepResult) -> str:
    """``PASS|FAIL id status method time [file:line]``."""
    verdict = "FAIL" if step.failed else "PASS"
    status = "refuted, not reproduced under an assumption" if step.not_reproduced else step.status
    status += " (expected refuted)" if step.expected == "refuted" else ""
    cached = " cached" if step.cached else ""
    where = f"  {_where(step)}" if step.failed and _where(step) else ""
    return f"{verdict} {derivation_id}::{step.id}  {status}  {step.method or '-'}  {step.seconds:.2f}s{cached}{where}"


def step_lines(result: RunResult) -> list[str]:
    """One line per step, in the order of the run."""
    return [step_line(d.id, s) for d in result.derivations for s in d.steps]


def _failure(derivation_id: str, step: StepResult) -> list[str]:
    where = f" ({_where(step)})" if _where(step) else ""
    lines = [f"FAILED {derivation_id}::{step.id}{where}: {_failed_as(step)}"]
    if step.reason:
        lines.append(f"  reason: {step.reason.splitlines()[0] if step.reason.strip() else step.reason}")
    if step.counterexample:
        lines.append(f"  counterexample: {display_point(step)}")
        if step.values:
            lines.append("  values there: " + ", ".join(f"{k} = {v}" for k, v in step.values.items()))
    lines.extend(f"  hint: {h}" for h in hint_lines(step))
    lines.append(f"  claim: {step.claim_latex}")
    if step.correction_status == "refuted":
        lines.append(f"  corrected form, refuted: {step.correction_reason}")
        lines.append(f"  corrected form: {step.correction_latex}")
    return lines


def _failed_as(step: StepResult, why: bool = False) -> str:
    """Why a failed step failed: its status against its expectation, or its refuted corrected form
    (with ``why``, followed by the correction's reason)."""
    if step.correction_status == "refuted" and not step_failed(step.expected, step.status):
        return f"{step.status} as expected, but its corrected form is refuted" + (
            f" ({step.correction_reason})" if why else ""
        )
    return f"{step.status}, expected {_expected(step)}"


def _expected(step: StepResult) -> str:
    return "a refutation" if step.expected == "refuted" else "it to hold (proved or confirmed)"


def recap(result: RunResult) -> list[str]:
    """Every failed step: where it is written, its status, reason, counterexample and claim."""
    failed = [(d.id, s) for d in result.derivations for s in d.steps if s.failed]
    if not failed:
        return []
    lines = [f"{len(failed)} failed step{'s' if len(failed) != 1 else ''}:"]
    for did, s in failed:
        lines.extend(_failure(did, s))
    return lines


def failed_ids(result: RunResult) -> str:
    """The failed steps' ids for the summary line (at most a few, then how many more)."""
    ids = [f"{d.id}::{s.id}" for d in result.derivations for s in d.steps if s.failed]
    more = len(ids) - _LIMIT
    return ", ".join(ids[:_LIMIT]) + (f", … ({more} more)" if more > 0 else "")


def summary_line(result: RunResult) -> str:
    """The closing line: counts by status, failures named, time and profile."""
    s = result.summary()
    counts = counts_text(s)
    verdict = f"{s['failed']} failed ({failed_ids(result)})" if s["failed"] else "all as expected"
    reused = f", {s['cached']} reused from the cache" if s["cached"] else ""
    return (
        f"{s['derivations']} derivations, {s['steps']} steps: {counts}, {verdict} "
        f"({s['seconds']:.1f}s, profile {result.profile}{reused})"
    )


def _escape_annotation(text: str) -> str:
    """GitHub's workflow-command escaping of a message (``%``, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_annotation(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(result: RunResult) -> list[str]:
    """``::error file=…,line=…,title=…::message`` for every failed step (GitHub Actions)."""
    out = []
    for d in result.derivations:
        for s in d.steps:
            if not s.failed:
                continue
            props = [f"title={_escape_property(f'verify {d.id}::{s.id}')}"]
            if s.file and s.line:
                props = [f"file={_escape_property(s.file)}", f"line={s.line}", *props]
            message = _failed_as(s, why=True)
            if s.reason:
                message += f": {s.reason}"
            if s.counterexample:
                message += f"; counterexample {display_point(s)}"
            out.append(f"::error {','.join(props)}::{_escape_annotation(message)}")
    return out
