"""The proof report as GitHub-flavoured Markdown with math (for a CI job summary or docs).

Formulas are the checked claims' LaTeX from SymPy's printer in ```` ```math ```` blocks; all other
text is user text and is escaped so it renders literally (no links, HTML or emphasis sneak in).
Derivations are folded in ``<details>`` blocks; those with a failing step are open.
"""

from __future__ import annotations

from verify.render import _report
from verify.render.safe_tex import safe_math
from verify.results import COUNTS, DerivationResult, RunResult, StepResult

_ICON = {"proved": "✅", "confirmed": "☑️", "refuted": "❌", "error": "⚠️", "timeout": "⏱️"}
_SPECIAL = set("\\`*_[]<>#|$~&")  # user text is never at a line start, so list markers need no escape


def text(s: str) -> str:
    """User text as literal Markdown: punctuation Markdown interprets is backslash-escaped."""
    out = "".join("\\" + c if c in _SPECIAL else c for c in s)
    return " ".join(out.split("\n"))


def code(s: str) -> str:
    """An identifier as a code span (safe for any content: backticks, line breaks, table pipes)."""
    s = " ".join(s.splitlines()).replace("|", r"\|")
    longest = 0
    run = 0
    for c in s:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _math(latex: str) -> str:
    return "```math\n" + safe_math(latex) + "\n```\n"


def _table(header: tuple[str, str], rows: list[tuple[str, str]], key=text) -> str:
    """A two-column table; ``key`` renders the first cell (default: literal text)."""
    out = [f"| {text(header[0])} | {text(header[1])} |", "|---|---|"]
    out += [f"| {key(k)} | {text(v)} |" for k, v in rows]
    return "\n".join(out) + "\n"


def _symbol(key: tuple[str, str | None]) -> str:
    """A counterexample's symbol: its declared LaTeX (whitelisted) as inline math, else its name."""
    name, latex = key
    if not latex:
        return text(name)
    return "$`" + safe_math(latex).replace("|", r"\|") + "`$"


def _status(step: StepResult) -> str:
    head = f"{_ICON[step.status]} {step.status}"
    if step.failed:
        return f"{head} — **{text(_report.verdict(step))}**"
    if step.expected == "refuted":
        return f"{head} (as expected: a documented error in the source)"
    return head


def _step(step: StepResult, verified: bool) -> str:
    out = [f"#### {code(step.id)} — {_status(step)}\n"]
    out.append(_math(step.claim_latex))
    items = []
    loc = _report.location(step.source)
    if loc:
        items.append(f"**Source.** {text(loc)}")
    if step.justification:
        items.append(f"**Justification.** {text(step.justification)}")
    items.append(
        f"**Method.** {text(_report.method(step))}" + (" — verified with everything it uses" if verified else "")
    )
    if step.uses:
        items.append("**Uses.** " + ", ".join(code(u) for u in step.uses))
    items += [f"**{label.capitalize()}.** {text(note)}" for label, note in _report.notes(step)]
    out.append("\n".join(f"- {item}" for item in items) + "\n")
    if step.counterexample:
        out.append("**Counterexample.**\n")
        rows = [((k, latex), v) for k, latex, v in _report.counterexample_rows(step)]
        out.append(_table(("symbol", "value"), rows, key=_symbol))
    if step.values:
        out.append(_table(("evaluated", "value"), list(step.values.items())))
    if step.reproduction:
        out.append("**Reproduction** (published vs recomputed).\n")
        out.append(_table(("field", "value"), _report.reproduction_rows(step)))
    if step.correction_latex:
        out.append(f"**Corrected form** ({text(_report.correction_note(step))}).\n")
        out.append(_math(step.correction_latex))
    return "\n".join(out)


def _derivation(d: DerivationResult, level: str) -> str:
    c = _report.counts(d)
    tally = _html(", ".join(f"{c[k]} {_report.COUNT_NAMES[k]}" for k in COUNTS if c[k]))
    if c["failed"]:  # HTML, not Markdown: <summary> does not render ** as bold
        tally += f", <strong>{c['failed']} FAILED</strong>"
    out = [f"<details{' open' if d.failed else ''}>", f"<summary><b>{_html(d.title)}</b> — {tally}</summary>\n"]
    out.append(f"{level} {text(d.title)}\n")
    out.append(f"Id {code(d.id)} · source {text(_report.location(d.source))}\n")
    if d.summary:
        out.append(f"*{text(d.summary)}*\n")
    out.append(f"{_report.verified_line(d)}.\n")
    verified = d.verified()
    out += [_step(s, verified[s.id]) for s in d.steps]
    out.append("</details>\n")
    return "\n".join(out)


def _html(s: str) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", "&ast;")
    return s.replace("$", "&#36;").replace("_", "&#95;").replace("`", "&#96;")


def render_markdown(result: RunResult, title: str = "Proof report") -> str:
    """The full report of ``result`` as GitHub-flavoured Markdown."""
    s = result.summary()
    verdict = f"**{s['failed']} step(s) FAILED**" if s["failed"] else "**all as expected**"
    out = [f"# {text(title)}\n", f"{text(_report.overall(result).split(';')[0])}; {verdict}.\n"]
    cols = [*COUNTS, "failed"]
    out.append("| derivation | kind | " + " | ".join(_report.COUNT_NAMES.get(k, k) for k in cols) + " |")
    out.append("|---|---|" + "---:|" * len(cols))
    for d in [d for part in _report.parts(result) for group in part.groups for d in group.derivations]:
        c = _report.counts(d)
        cells = [str(c[k]) for k in cols]
        if c["failed"]:
            cells[-1] = f"**{c['failed']}**"
        out.append(f"| {text(d.title)} ({code(d.id)}) | {text(d.kind)} | " + " | ".join(cells) + " |")
    out.append("| **total** | | " + " | ".join(f"**{s[k]}**" for k in cols) + " |\n")
    out.append("## Environment\n")
    out.append(_table(("component", "version"), _report.environment_rows(result)))
    for part in _report.parts(result):
        out.append(f"## {text(part.title)}\n")
        for group in part.groups:
            if group.document is None:
                out += [_derivation(d, "###") for d in group.derivations]
            else:
                out.append(f"### Document {text(group.document)}\n")
                line = _report.coverage_line(result, group.document)
                if line:
                    out.append(text(line) + "\n")
                out += [_derivation(d, "###") for d in group.derivations]
    return "\n".join(out).rstrip() + "\n"
