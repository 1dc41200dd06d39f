"""Console rendering: fixed-width output compared exactly."""

from __future__ import annotations

import io

from rich.console import Console

from verify.render.console import DerivationTable, Summary
from verify.results import DerivationResult, RunResult, StepResult


def _step(ident: str, status: str, expected: str = "holds", **kw) -> StepResult:
    return StepResult(
        id=ident,
        source={"document": "d.txt", "location": "(1)"},
        uses=[],
        claim_latex="x = x",
        justification="",
        expected=expected,
        status=status,
        method="numeric",
        **kw,
    )


def _render(obj, width: int = 100) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, legacy_windows=False).print(obj)
    return buf.getvalue()


def test_summary_line_exact():
    d = DerivationResult(
        "demo",
        "Demo",
        "core",
        {"document": "d.txt", "location": ""},
        [_step("a", "proved"), _step("b", "refuted", counterexample={"x": "0.5"}), _step("c", "confirmed")],
    )
    run = RunResult([d], 1.234, "0.1.0", "ci")
    assert _render(Summary(run)) == (
        "1 derivations, 3 steps: 1 proved, 1 confirmed, 1 refuted, 0 error, 0 timeout, 1 failed (demo::b) "
        "\n(1.2s, profile ci)\n"
    )


def test_summary_line_counts_reused_verdicts():
    d = DerivationResult(
        "demo", "Demo", "core", {"document": "d.txt", "location": ""}, [_step("a", "proved", cached=True)]
    )
    assert _render(Summary(RunResult([d], 0.1, "0.1.0", "ci")), width=140) == (
        "1 derivations, 1 steps: 1 proved, 0 confirmed, 0 refuted, 0 error, 0 timeout, all as expected "
        "(0.1s, profile ci, 1 reused from the cache)\n"
    )


def test_table_shows_counterexample_values_and_failure_marker():
    d = DerivationResult(
        "demo",
        "Demo",
        "core",
        {"document": "d.txt", "location": "(2)"},
        [
            _step("wrong_sign", "refuted", counterexample={"x": "0.5"}, values={"lhs": "1", "rhs": "-1"}),
            _step("documented_error", "refuted", expected="refuted", counterexample={"y": "2.0"}),
        ],
    )
    text = _render(DerivationTable(d), width=140)
    assert "demo — Demo (d.txt (2), core)" in text
    assert "counterexample: x=0.5" in text and "lhs = 1, rhs = -1" in text
    wrong = next(line for line in text.splitlines() if "wrong_sign" in line)
    documented = next(line for line in text.splitlines() if "documented_error" in line)
    assert "FAIL" in wrong and "FAIL" not in documented
    assert "(expected refuted)" in documented
