"""Rendering of loss-checker reports: a Rich table per loss, a catalog overview and LaTeX."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from verify.losses.results import LossReport, PropertyResult
from verify.printing import latex_text

SEVERITY_STYLE = {"ok": "green", "info": "cyan", "warning": "bold yellow", "error": "bold red"}
VERDICT_STYLE = {"ok": "bold green", "warning": "bold yellow", "error": "bold red reverse"}


def _detail(p: PropertyResult) -> str:
    lines = [p.summary]
    ce = p.counterexample
    if ce is not None:
        lines.append("counterexample: " + ", ".join(f"{k}={v:.6g}" for k, v in ce.point.items()))
        for e in ce.evaluations:
            moved = {k: v for k, v in e.point.items() if ce.point.get(k) != v}
            at = f" at {', '.join(f'{k}={v:.6g}' for k, v in moved.items())}" if moved else ""
            lines.append(f"  {e.label} = {e.value:.10g}{at}")
    hints = p.details.get("repair hints")
    if hints:  # the checked edits: of a claimed gradient (text), of the formula an implementation computes (list)
        lines.append("hint: " + ("; ".join(map(str, hints)) if isinstance(hints, list) else str(hints)))
    return "\n".join(lines)


class LossTable:
    """The properties of one loss: status, severity and details (with counterexamples)."""

    def __init__(self, report: LossReport):
        self.report = report

    def header(self) -> str:
        """The line above the table: the formula and its hyperparameters."""
        r = self.report
        params = ", ".join(f"{k}={v}" for k, v in r.params.items())
        return f"L = {r.expression}" + (f"   [{params}]" if params else "")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        r = self.report
        head = f"[bold]{escape(r.name)}[/bold]"
        if r.title:
            head += f" — {escape(r.title)}"
        table = Table(
            title=head, title_justify="left", caption=escape(r.source or ""), caption_justify="left", expand=True
        )
        table.add_column("property", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("details", overflow="fold", ratio=1)
        for p in r.properties:
            severity = Text(p.severity, style=SEVERITY_STYLE[p.severity])
            if p.id in r.documented and p.severity == "warning":
                severity.append(" (documented)", style="dim")
            table.add_row(escape(p.id), p.status, severity, escape(_detail(p)))
        yield Text(self.header(), overflow="fold")
        if r.aliases:
            yield Text(f"understood as: L = {r.understood}   ({'; '.join(r.aliases)})", style="dim", overflow="fold")
        yield table
        line = Text("verdict: ")
        line.append(r.verdict, style=VERDICT_STYLE[r.verdict])
        line.append(f" ({r.seconds:.2f}s)", style="dim")
        yield line


SHORT = {
    "preference_direction": "direction",
    "reference_orientation": "reference",
    "off_reference": "off-reference",
    "shift_invariance": "shift-invariant",
    "population_optimum": "optimum",
    "bounded_below": "bounded below",
    "convexity": "convex",
}


def _profile(r: LossReport) -> Text:
    """One line per loss: each property's short name, coloured by severity."""
    text = Text()
    for p in r.properties:
        if p.id not in SHORT or p.status == "n/a":
            continue
        word = SHORT[p.id] if p.status == "holds" else f"{SHORT[p.id]}: {p.status}"
        if p.id == "population_optimum" and "closed form" in p.details:
            word = f"h* = {p.details['closed form']}"
        if text:
            text.append(" · ", style="dim")
        text.append(word, style=SEVERITY_STYLE[p.severity])
    return text


class CatalogTable:
    """One row per loss: verdict, formula, source and a one-line property profile."""

    def __init__(self, reports: list[LossReport]):
        self.reports = reports

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(title="published loss variants", title_justify="left", expand=True, show_lines=True)
        table.add_column("loss", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column("formula · source · profile", overflow="fold", ratio=1)
        for r in self.reports:
            params = ", ".join(f"{k}={v}" for k, v in r.params.items())
            body = Text((r.formula or r.expression) + (f"   [{params}]" if params else ""))
            body.append(f"\n{r.source or ''}", style="dim")
            body.append("\n")
            body.append_text(_profile(r))
            table.add_row(escape(r.name), Text(r.verdict, style=VERDICT_STYLE[r.verdict]), body)
        yield table
        yield Text("h = (logp_w − ref_logp_w) − (logp_l − ref_logp_l)", style="dim")
        for r in self.reports:
            for pid, why in r.documented.items():
                yield Text(f"{r.name}.{pid} (documented warning): {why}", style="dim", overflow="fold")


def render_reports(reports: list[LossReport], catalog: bool = False) -> Group:
    """Each report's table; with ``catalog`` an overview table first."""
    parts: list = [CatalogTable(reports)] if catalog else []
    if not catalog:
        parts.extend(LossTable(r) for r in reports)
    return Group(*parts)


def reports_latex(reports: list[LossReport]) -> str:
    """A LaTeX fragment: each loss's formula, its gradient and its verdict."""
    out = []
    for r in reports:
        out.append(rf"\paragraph{{{latex_text(r.name)}}} verdict: \texttt{{{r.verdict}}}.")
        if r.source:
            out.append(rf"Source: {latex_text(r.source)}.")
        out.append(rf"\[ \mathcal{{L}} = {r.latex} \]")
        for var, tex in r.gradient_latex.items():
            out.append(rf"\[ \frac{{\partial \mathcal{{L}}}}{{\partial\, \mathtt{{{latex_text(var)}}}}} = {tex} \]")
    return "\n".join(out) + "\n"
