"""Console rendering with Rich: a table of steps per derivation and a summary line."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from verify.render._report import NOT_REPRODUCED, correction_note, display_point, hint_lines, ledger_line
from verify.render.audits import audit_documents
from verify.render.plain import failed_ids
from verify.results import DerivationResult, RunResult, StepResult

STYLE = {
    "proved": "bold green",
    "confirmed": "green",
    "refuted": "bold red",
    "error": "bold magenta",
    "timeout": "yellow",
}


def _status(step: StepResult) -> Text:
    text = Text(step.status, style=STYLE[step.status])
    if step.not_reproduced:
        text.append(", not reproduced under an assumption", style="yellow")
    if not step.crosschecked:
        text.append(" (not cross-checked)", style="yellow")
    if step.expected == "refuted":
        text.append(" (expected refuted)" if not step.failed else " (expected refuted!)", style="dim")
    if step.failed:
        text.append(" FAIL", style="bold red reverse")
    return text


def _detail(step: StepResult) -> str:
    parts = []
    if step.counterexample:
        parts.append(f"counterexample: {display_point(step, limit=len(step.counterexample))}")
        if step.values:
            parts.append("  " + ", ".join(f"{k} = {v}" for k, v in step.values.items()))
    if step.reason and (step.status != "proved" or not step.crosschecked):
        parts.append(step.reason)
    if step.scope:
        parts.append(step.scope)
    if step.diagnosis:
        parts.append(f"diagnosis: {step.diagnosis}")
    parts.extend(f"hint: {h}" for h in hint_lines(step))
    if (ledger := ledger_line(step)) is not None:
        parts.append(f"assumptions: {ledger}")
    return "\n".join(parts)


class DerivationTable:
    """A derivation's steps as a Rich table (status, method, samples, time, details)."""

    def __init__(self, result: DerivationResult):
        self.result = result

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        r = self.result
        src = r.source["document"] + (f" {r.source['location']}" if r.source.get("location") else "")
        table = Table(
            title=f"[bold]{escape(r.id)}[/bold] — {escape(r.title)} [dim]({escape(src)}, {r.kind})[/dim]",
            title_justify="left",
            expand=True,
        )
        table.add_column("step", overflow="fold", ratio=3)
        table.add_column("status", no_wrap=True)
        table.add_column("method", no_wrap=True)
        table.add_column("samples", justify="right")
        table.add_column("time", justify="right")
        table.add_column("details", overflow="fold", ratio=4)
        for s in r.steps:
            method = s.method or "-"
            table.add_row(escape(s.id), _status(s), method, str(s.samples), f"{s.seconds:.2f}s", escape(_detail(s)))
        yield table


class Summary:
    """The one-line summary of a run."""

    def __init__(self, result: RunResult):
        self.result = result

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        s = self.result.summary()
        line = Text()
        line.append(f"{s['derivations']} derivations, {s['steps']} steps: ")
        for status in ("proved", "confirmed", "refuted", "not_reproduced", "error", "timeout"):
            if status == "not_reproduced":
                if s[status]:
                    line.append(f"{s[status]} {NOT_REPRODUCED}", style="yellow")
                    line.append(", ")
                continue
            line.append(f"{s[status]} {status}", style=STYLE[status] if s[status] else "dim")
            line.append(", ")
        verdict = f"{s['failed']} failed ({failed_ids(self.result)})" if s["failed"] else "all as expected"
        line.append(verdict, style="bold red" if s["failed"] else "bold green")
        reused = f", {s['cached']} reused from the cache" if s["cached"] else ""
        line.append(f" ({s['seconds']:.1f}s, profile {self.result.profile}{reused})")
        yield line


class AuditSummary:
    """Per source document: how many claims were checked, and each refuted one with its diagnosis and correction."""

    def __init__(self, result: RunResult):
        self.result = result

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        docs = audit_documents(self.result)
        if not docs:
            return
        table = Table(title="[bold]audits by document[/bold]", title_justify="left", expand=True)
        table.add_column("document", overflow="fold", ratio=2)
        table.add_column("claims", justify="right")
        table.add_column("proved", justify="right")
        table.add_column("confirmed", justify="right")
        table.add_column("refuted", justify="right")
        table.add_column("numbers", justify="right")
        table.add_column("failed", justify="right")
        for doc in docs:
            ok, bad = doc.numbers
            table.add_row(
                escape(doc.document),
                str(len(doc.steps)),
                str(doc.count("proved")),
                str(doc.count("confirmed")),
                Text(str(doc.refuted), style=STYLE["refuted"] if doc.refuted else "dim"),
                f"{ok}/{ok + bad} reproduced" if ok + bad else "-",
                Text(str(doc.failed), style="bold red" if doc.failed else "dim"),
            )
        yield table
        for doc in docs:
            for did, s in doc.not_holding:
                head = Text()
                head.append(f"{doc.document} ", style="bold")
                head.append(f"{s.source.get('location', '')}: ", style="bold")
                head.append(f"{did}.{s.id} ")
                if s.assumes and not s.failed:
                    head.append("not reproduced under an assumption the document does not state", style="yellow")
                else:
                    head.append_text(_status(s))
                yield head
                if s.assumes:
                    yield Text(f"  assumed: {s.assumes}", style="yellow")
                if s.diagnosis:
                    yield Text(f"  wrong: {s.diagnosis}")
                for hint in hint_lines(s):
                    yield Text(f"  machine hint: {hint}", style="cyan")
                if s.counterexample:
                    yield Text(f"  counterexample: {display_point(s)}", style="dim")
                if s.correction_latex:
                    style = "red" if s.correction_status == "refuted" else "green"
                    yield Text(f"  corrected ({correction_note(s)}): {s.correction_latex}", style=style)


class CoverageSummary:
    """Per source document: displays covered by a step, recorded with a reason, or missing; bad anchors."""

    def __init__(self, result: RunResult):
        self.result = result

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for c in self.result.coverage:
            line = Text()
            line.append(f"coverage {c.document}: ", style="bold")
            line.append(c.line(), style="bold red" if not c.ok else "green")
            yield line
            for d in c.missing:
                yield Text(f"  missing: {d.name}", style="red")
            for e in c.errors:
                yield Text(f"  error: {e}", style="red")


def render_run(result: RunResult, summary: bool = True) -> Group:
    """A table per derivation, the audit and coverage summaries and (unless ``summary=False``) the summary line."""
    parts = [*[DerivationTable(d) for d in result.derivations], AuditSummary(result), CoverageSummary(result)]
    return Group(*parts, Summary(result)) if summary else Group(*parts)


def render_list(rows: list[tuple[str, str, str, int, str]]) -> Table:
    table = Table(title="derivations", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("steps", justify="right")
    table.add_column("source", overflow="fold")
    for ident, kind, title, n, source in rows:
        table.add_row(escape(ident), kind, escape(title), str(n), escape(source))
    return table
