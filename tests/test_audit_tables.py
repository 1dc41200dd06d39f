"""Audits by document: counts and refuted-claim tables, on the console and in docs/audits.md."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from verify.cli import main
from verify.render.audits import audit_documents, audits_markdown
from verify.render.console import AuditSummary
from verify.results import DerivationResult, RunResult, StepResult

DOCS = Path(__file__).resolve().parents[1] / "docs" / "audits.md"


def _step(ident: str, status: str, expected: str = "holds", location: str = "eq. (1)", **kw) -> StepResult:
    return StepResult(
        id=ident,
        source={"document": "paper.txt", "location": location},
        uses=[],
        claim_latex="x = y",
        justification="",
        expected=expected,
        status=status,
        method="numeric",
        **kw,
    )


def _run() -> RunResult:
    audit = DerivationResult(
        "audit_paper",
        "Audit: paper",
        "audit",
        {"document": "paper.txt", "location": ""},
        [
            _step("holds_one", "proved"),
            _step(
                "sign_flipped",
                "refuted",
                "refuted",
                "Theorem 2",
                counterexample={"x": "1.0"},
                values={"lhs": "1", "rhs": "-1"},
                diagnosis="the sign | of y is flipped",
                correction_latex="x = -y",
                correction_status="proved",
            ),
            _step("new_surprise", "refuted", "holds", "eq. (7)", counterexample={"x": "2.0"}, reason="counterexample"),
        ],
    )
    numbers = DerivationResult(
        "paper_numbers",
        "Numbers",
        "experiment",
        {"document": "paper.txt", "location": ""},
        [
            _step("table_1", "confirmed", reproduction={"reproduced": True}),
            _step("table_2", "refuted", "refuted", "Table 2", reproduction={"reproduced": False}, diagnosis="d"),
        ],
    )
    core = DerivationResult("core", "Core", "core", {"document": "other.txt", "location": ""}, [_step("a", "proved")])
    return RunResult([audit, numbers, core], 1.0, "0.1.0", "ci", {"sympy": "1.14.0"})


def test_documents_group_audits_and_experiments_only() -> None:
    (doc,) = audit_documents(_run())
    assert doc.document == "paper.txt"
    assert doc.derivations == ["audit_paper", "paper_numbers"]
    assert (len(doc.steps), doc.count("refuted"), doc.failed, doc.numbers) == (5, 3, 1, (1, 1))
    assert [s.id for _, s in doc.not_holding] == ["sign_flipped", "new_surprise", "table_2"]


def test_markdown_table_rows() -> None:
    md = audits_markdown(_run())
    assert "## `paper.txt`" in md
    assert (
        "5 claims checked: 1 proved, 1 confirmed numerically, 3 refuted; printed numbers: 1 reproduced, "
        "1 not reproduced; **1 not as expected**." in md
    )
    assert (
        r"| Theorem 2 | `sign_flipped`: $x = y$ | the sign \| of y is flipped |  | x=1.0 → lhs=1, rhs=-1 | $x = -y$ |"
        in md
    )
    assert "| eq. (7) | `new_surprise`: $x = y$ | **unexpected refutation** — counterexample |  | x=2.0 |  |" in md
    assert "other.txt" not in md


def test_console_lists_each_document_and_refuted_claim() -> None:
    buf = io.StringIO()
    Console(file=buf, width=120, color_system=None).print(AuditSummary(_run()))
    out = buf.getvalue()
    assert "paper.txt" in out and "1/2 reproduced" in out
    assert "paper.txt Theorem 2: audit_paper.sign_flipped refuted (expected refuted)" in out
    assert "wrong: the sign | of y is flipped" in out
    assert "corrected (proved): x = -y" in out
    assert "paper.txt eq. (7): audit_paper.new_surprise refuted FAIL" in out


def test_audits_command_renders_a_saved_result(tmp_path, capsys) -> None:
    saved = tmp_path / "run.json"
    saved.write_text(_run().dumps(), encoding="utf-8")
    out = tmp_path / "audits.md"
    assert main(["audits", "--from-json", str(saved), "--output", str(out)]) == 1  # one claim not as expected
    assert out.read_text(encoding="utf-8") == audits_markdown(_run())
    assert main(["audits", "--from-json", str(tmp_path / "missing.json")]) == 2
    assert "cannot read --from-json" in capsys.readouterr().err


def test_generated_docs_list_every_expected_refutation(registry) -> None:
    """docs/audits.md is generated from a run: every claim an audit expects refuted has its row."""
    text = DOCS.read_text(encoding="utf-8")
    for d in registry.derivations.values():
        if d.kind in ("audit", "experiment"):
            assert f"`{d.source.document}`" in text, d.id
            for s in d.steps:
                if s.expected == "refuted":
                    assert f"`{s.id}`" in text, (d.id, s.id)


def test_a_number_not_reproduced_under_our_assumption_and_the_coverage_line_are_rendered() -> None:
    from verify.coverage import Coverage, Display

    run = RunResult(
        [
            DerivationResult(
                "paper_numbers",
                "Numbers",
                "experiment",
                {"document": "paper.txt", "location": ""},
                [
                    _step(
                        "fitted", "refuted", "refuted", "§3", assumes="λ = 1 (not stated)", diagnosis="λ ≈ 0.9 gives it"
                    ),
                    _step("wrong", "refuted", "refuted", "§4", diagnosis="a real error"),
                ],
            )
        ],
        1.0,
        "0",
        coverage=[Coverage("paper.txt", 3, [1], {2: "definition"}, [Display(3, 9, "")])],
    )
    md = audits_markdown(run)
    assert "1 refuted, 1 not reproduced under an assumption the document does not state" in md
    assert "not reproduced under the assumption λ = 1 (not stated) (not refuted): λ ≈ 0.9 gives it" in md
    assert "Coverage: 3 displays: 1 covered, 1 recorded, 1 missing (**missing**: display 3 (line 9))." in md
    assert run.failed and run.summary()["displays_missing"] == 1  # a missing display fails the run
    again = RunResult.from_json(run.to_json())
    assert again.coverage[0].line() == run.coverage[0].line() and again.derivations[0].steps[0].assumes
    from verify.render.latex import render_latex
    from verify.render.markdown import render_markdown

    report = render_markdown(run)
    assert "Coverage: 3 displays: 1 covered, 1 recorded, 1 missing (missing: display 3 (line 9))." in report
    assert "**Assumes.** λ = 1 (not stated)" in report
    assert "Coverage: 3 displays: 1 covered" in render_latex(run)


def test_the_console_says_not_reproduced_under_an_assumption_instead_of_refuted() -> None:
    run = RunResult(
        [
            DerivationResult(
                "paper_numbers",
                "Numbers",
                "experiment",
                {"document": "paper.txt", "location": ""},
                [
                    _step(
                        "fitted", "refuted", "refuted", "§3", assumes="λ = 1 (not stated)", diagnosis="λ ≈ 0.9 gives it"
                    )
                ],
            )
        ],
        1.0,
        "0",
    )
    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(AuditSummary(run))
    out = buf.getvalue()
    assert "paper_numbers.fitted not reproduced under an assumption the document does not state" in out
    assert "assumed: λ = 1 (not stated)" in out and "refuted (expected refuted)" not in out


def test_the_summaries_count_a_step_not_reproduced_under_our_assumption_apart_from_the_refuted() -> None:
    """summary.refuted counts errors of the documents only; a refutation under an assumption the document does
    not state is summary.not_reproduced, on the JSON, the plain and console summary lines and the reports;
    whether a step failed (and so the exit code) is still decided by its expectation alone."""
    from verify.render.console import Summary
    from verify.render.plain import summary_line

    def run_of(status: str, expected: str) -> RunResult:
        steps = [
            _step("fitted", status, expected, "§3", assumes="λ = 1 (not stated)"),
            _step("wrong", "refuted", "refuted", "§4"),
            _step("fine", "proved", "holds", "§5"),
        ]
        return RunResult([DerivationResult("nums", "Numbers", "experiment", {"document": "p.txt"}, steps)], 1.0, "0")

    run = run_of("refuted", "refuted")
    s = run.to_json()["summary"]
    assert (s["proved"], s["refuted"], s["not_reproduced"], s["failed"]) == (1, 1, 1, 0)
    assert sum(s[k] for k in ("proved", "confirmed", "refuted", "not_reproduced", "error", "timeout")) == s["steps"]
    steps = run.to_json()["derivations"][0]["steps"]
    assert [x["not_reproduced"] for x in steps] == [True, False, False] and steps[0]["status"] == "refuted"
    line = "1 proved, 0 confirmed, 1 refuted, 1 not reproduced under an assumption the document does not state, 0 error"
    assert line in summary_line(run) and not run.failed
    from verify.render.plain import step_line

    fitted = run.derivations[0].steps[0]
    assert "refuted, not reproduced under an assumption (expected refuted)" in step_line("nums", fitted)
    buf = io.StringIO()
    Console(file=buf, width=300, color_system=None).print(Summary(run))
    assert line in buf.getvalue()
    # the number reproduced after all: the step expected not to reproduce fails the run
    reproduced = run_of("confirmed", "refuted")
    assert reproduced.failed and reproduced.summary()["not_reproduced"] == 0 and reproduced.summary()["failed"] == 1
    # a step expected to hold under the assumption and refuted: not reproduced, and a failure
    broken = run_of("refuted", "holds")
    assert broken.failed and broken.summary()["not_reproduced"] == 1 and broken.summary()["refuted"] == 1
    # without such a step the summary line is as before
    plain = RunResult(
        [DerivationResult("n", "N", "core", {"document": "p"}, [_step("a", "proved", "holds", "")])], 1, "0"
    )
    assert "not reproduced" not in summary_line(plain) and plain.summary()["not_reproduced"] == 0


def test_a_correction_without_a_status_is_a_display_once_its_step_finished() -> None:
    """A corrected claim is checked whenever its step's check finishes; a finished step without a correction status
    has a display for its corrected form, while a step stopped early never reached its correction."""
    from verify.render._report import correction_note

    display = _step("as_printed", "refuted", "refuted", correction_latex="x = -y")
    stopped = _step("cut", "timeout", "refuted", correction_latex="x = -y")
    checked = _step("fixed", "refuted", "refuted", correction_latex="x = -y", correction_status="proved")
    assert correction_note(display) == "a display, not checked as written"
    assert correction_note(stopped) == "not checked"
    assert correction_note(checked) == "proved"
