"""Proof reports: LaTeX and Markdown rendering, JUnit XML, and the `report` command."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from report_data import HOSTILE_TEXT, HOSTILE_TITLE, sample_result

from verify.cli import main
from verify.render import latex, markdown
from verify.render.junit import render_junit
from verify.render.latex import display, lines, render_latex
from verify.render.markdown import render_markdown

# ---------------------------------------------------------------------------- LaTeX


def test_latex_user_text_is_escaped_and_renders_literally() -> None:
    doc = render_latex(sample_result(), title=HOSTILE_TITLE)
    assert HOSTILE_TITLE not in doc
    assert r"\LARGE \textbackslash{}input\{/etc/passwd\}\par" in doc
    assert r"\section{\textbackslash{}input\{/etc/passwd\}}" in doc
    assert r"\emph{50\% \_x\_ \#1}" in doc  # the summary
    assert r"50\% \_x\_ \#1 \textless{}b\textgreater{}(a)\textless{}/b\textgreater{}" in doc  # the source
    assert "\\input" not in doc.replace(r"\textbackslash{}input", "")


def test_latex_text_escapes_every_special() -> None:
    assert latex.text(r"a\b{c}$d&e#f%g_h^i~j<k>l|m") == (
        r"a\textbackslash{}b\{c\}\$d\&e\#f\%g\_h\textasciicircum{}i\textasciitilde{}j\textless{}k\textgreater{}l"
        r"\textbar{}m"
    )
    assert latex.ident("a_b") == r"\texttt{a\_\allowbreak{}b}"


def test_latex_claims_are_the_checked_sympy_latex() -> None:
    result = sample_result()
    doc = render_latex(result)
    for d in result.derivations:
        for s in d.steps:
            assert "\\vfyclaimline{" + s.claim_latex + "}" in doc
            if s.correction_latex:
                assert "\\vfyclaimline{" + s.correction_latex + "}" in doc


def _section(doc: str, step_id: str) -> str:
    start = doc.index(r"\subsubsection*{" + latex.ident(step_id) + "}")
    end = doc.find(r"\subsubsection*{", start + 1)
    return doc[start : end if end > 0 else len(doc)]


def _with_samples(result, step_id: str, samples: int):
    for d in result.derivations:
        for s in d.steps:
            if s.id == step_id:
                s.samples = samples
    return result


def test_latex_status_marks_method_and_refutation_details() -> None:
    doc = render_latex(sample_result())
    proved = _section(doc, "log_mul_eq_add_log")
    assert r"\vfystatus{proved}{\checkmark\ proved}" in proved
    assert (
        r"\textbf{Method.} symbolic (expand\_log); numeric cross-check: 25 numeric samples, "
        r"worst relative error 1e-31\par"
    ) in proved
    one_point = _section(render_latex(_with_samples(sample_result(), "log_mul_eq_add_log", 1)), "log_mul_eq_add_log")
    assert "cross-check: 1 numeric sample, worst" in one_point  # a claim without free symbols has one point
    error = _section(doc, "crashes")
    assert r"\checkmark" not in error  # nothing unchecked is rendered as passing
    assert r"\vfystatus{error}{! error} \vfystatus{refuted}{\fbox{FAILED}} expected to hold, but error" in error
    assert r"\textbf{Reason.} division by zero\par" in error
    refuted = _section(doc, "sign_error_as_written")
    assert r"\emph{(as expected: a documented error in the source)}" in refuted
    assert r"\texttt{beta} & 1.0 \\" in refuted and r"\texttt{p} & 0.5 \\" in refuted
    assert r"\texttt{lhs} & -0.693 \\" in refuted
    assert r"\textbf{Corrected form} (proved).\par" in refuted
    assert r"\textbf{Diagnosis.} the sign of the second term\par" in refuted
    reported = _section(doc, "table_entry")
    assert r"\texttt{published} & 0.531 \\" in reported and r"\texttt{recomputed} & 0.53149 \\" in reported
    assert r"\fbox{FAILED}} expected refuted (a documented error), but proved" in _section(doc, "caught_no_more")


def test_latex_groups_audits_by_document_and_lists_the_environment() -> None:
    doc = render_latex(sample_result())
    audits = doc.index(r"\part*{Audits}")
    notes, paper = doc.index(r"\section{Document notes.md}"), doc.index(r"\section{Document paper.txt}")
    assert audits < notes < doc.index(r"\subsection{Audit: notes}") < paper < doc.index(r"\subsection{Audit: paper}")
    assert r"\texttt{sympy} & 1.14.0 \\" in doc and r"\texttt{profile} & ci \\" in doc
    assert r"\texttt{verify} & 0.1.0 \\" in doc
    # the columns: proved, confirmed, refuted, not reproduced, error, timeout, failed
    totals = " & ".join(rf"\textbf{{{n}}}" for n in (2, 2, 2, 0, 1, 0, 3))
    assert rf"\textbf{{total}} & & {totals} \\" in doc


def test_latex_declares_the_unicode_it_uses() -> None:
    result = sample_result()
    result.derivations[0].steps[0].justification = "β ≥ 0, σ′ → ∞, x₁ ☃, § 2, café"
    doc = render_latex(result)
    assert "{00A7}" not in doc and "{00E9}" not in doc  # LaTeX's own UTF-8 support prints these
    for code, tex in [
        ("03B2", r"\ensuremath{\beta}"),
        ("2265", r"\ensuremath{\geq}"),
        ("2032", r"\ensuremath{'}"),
        ("2192", r"\ensuremath{\to}"),
        ("2081", r"\ensuremath{_{1}}"),
        ("2603", "[U+2603]"),
    ]:
        assert rf"\DeclareUnicodeCharacter{{{code}}}{{{tex}}}" in doc


def test_short_formula_is_one_line_and_long_ones_break_at_top_level() -> None:
    assert lines("a = b") == ["a = b"]
    assert display("a = b") == "\\begin{center}\n\\vfyclaimline{a = b}\n\\end{center}\n"
    long = " + ".join(rf"\frac{{x_{{{i}}}}}{{y_{{{i}}}}}" for i in range(30))
    formula = r"\log{\left(z \right)} = - " + long
    parts = lines(formula, budget=120)
    assert len(parts) > 2 and "".join(parts) == formula  # cuts only, nothing rewritten
    assert latex._chunks(formula)[1] == r" = - \frac{x_{0}}{y_{0}}"  # a sign after a relation is unary: no cut
    assert all(len(p) <= 120 for p in parts)


def test_long_group_is_broken_inside_with_null_delimiters() -> None:
    inner = " + ".join(rf"\frac{{a_{{{i}}}}}{{b_{{{i}}}}}" for i in range(30))
    formula = r"- \beta \left(" + inner + r"\right) = 0"
    parts = lines(formula, budget=100)
    assert parts[0].startswith(r"- \beta \left(") and parts[0].endswith(r"\right.")
    assert parts[-2].startswith(r"\left. ") and parts[-2].endswith(r"\right)")
    assert parts[-1] == " = 0"
    joined = "".join(parts).replace(r" \right.", "").replace(r"\left. ", "")
    assert joined == formula


# ---------------------------------------------------------------------------- Markdown


def test_markdown_escapes_user_text_and_shows_math_blocks() -> None:
    doc = render_markdown(sample_result(), title=HOSTILE_TEXT)
    assert doc.startswith("# 50% \\_x\\_ \\#1\n")
    assert "<b>(a)</b>" not in doc and "\\<b\\>(a)\\</b\\>" in doc
    assert "<summary><b>\\input{/etc/passwd}</b> — 1 proved, 1 confirmed, 1 error, **1 FAILED**</summary>" not in doc
    assert "<summary><b>\\input{/etc/passwd}</b> — 1 proved, 1 confirmed, 1 error, <strong>1 FAILED</strong>" in doc
    assert "&ast;&ast;" not in doc
    assert "### \\\\input{/etc/passwd}\n" in doc
    assert "```math\n\\beta \\log{\\left(p \\right)} = - \\beta \\log{\\left(p \\right)}\n```\n" in doc
    assert "| beta | 1.0 |\n| p | 0.5 |\n" in doc
    assert "#### `crashes` — ⚠️ error — **FAILED: expected to hold, but error**" in doc
    assert "**1 step(s) FAILED**" not in doc and "**3 step(s) FAILED**" in doc


def test_markdown_failing_derivations_are_open() -> None:
    doc = render_markdown(sample_result())
    assert doc.count("<details open>") == 3  # each derivation has a failing step
    result = sample_result()
    result.derivations = [result.derivations[1]]
    result.derivations[0].steps.pop()  # drop the failing "wrongly_claimed"
    assert "<details>\n" in render_markdown(result) and "<details open>" not in render_markdown(result)


def test_markdown_code_span_survives_backticks() -> None:
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`a") == "`` `a ``"


# ---------------------------------------------------------------------------- JUnit


def test_junit_one_case_per_step_with_failures_and_errors() -> None:
    root = ET.fromstring(render_junit(sample_result()))
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [
        "log_mul_eq_add_log",
        "numeric_only",
        "crashes",
        "sign_error_as_written",
        "wrongly_claimed",
        "table_entry",
        "caught_no_more",
    ]
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "2", "1")
    by_name = {c.get("name"): c for c in cases}
    failure = by_name["wrongly_claimed"].find("failure")
    assert failure.get("message") == "refuted: counterexample p=0.25 (lhs = 1, rhs = 2)"
    assert failure.get("type") == "refuted"
    assert by_name["crashes"].find("error").get("message") == "error: division by zero"
    assert by_name["caught_no_more"].find("failure").get("message").startswith("expected refuted")
    assert by_name["sign_error_as_written"].find("failure") is None  # refuted as expected: passes
    assert by_name["log_mul_eq_add_log"].get("classname") == "verify.core.hostile"
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        ("hostile", "3", "0", "1"),
        ("audit_notes", "2", "1", "0"),
        ("audit_paper", "2", "1", "0"),
    ]


def test_junit_drops_characters_xml_cannot_carry() -> None:
    result = sample_result()
    result.derivations[0].steps[2].reason = "bad \x00 byte \x1b"
    root = ET.fromstring(render_junit(result))
    assert root.find(".//testcase[@name='crashes']/error").get("message") == "error: bad \ufffd byte \ufffd"


# ---------------------------------------------------------------------------- the command


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(sample_result().dumps(), encoding="utf-8")
    return path


def test_report_from_json_writes_latex_and_markdown(saved, tmp_path, capsys) -> None:
    tex, md = tmp_path / "r.tex", tmp_path / "r.md"
    assert main(["report", "--from-json", str(saved), "--output", str(tex)]) == 1  # the sample has failures
    assert tex.read_text(encoding="utf-8") == render_latex(sample_result())
    assert capsys.readouterr().out == f"report: {tex}\n"
    assert main(["report", "--from-json", str(saved), "--format", "markdown", "--output", str(md)]) == 1
    assert md.read_text(encoding="utf-8") == render_markdown(sample_result())


def test_report_exit_zero_when_all_as_expected(tmp_path, capsys) -> None:
    result = sample_result()
    result.derivations = [result.derivations[1]]
    result.derivations[0].steps.pop()
    path = tmp_path / "ok.json"
    path.write_text(result.dumps(), encoding="utf-8")
    assert main(["report", "--from-json", str(path), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == render_markdown(result)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "markdown", "--pdf", "--output", "r.md"], "verify: --pdf needs --format latex\n"),
        (["--pdf"], "verify: --pdf needs --output PATH.tex (the PDF is written beside it)\n"),
        (["--pdf", "--output", "r.pdf"], "verify: --output 'r.pdf' must end in .tex with --pdf\n"),
        (["--format", "html"], None),
    ],
)
def test_report_usage_errors_are_one_line(saved, argv, message, capsys) -> None:
    assert main(["report", "--from-json", str(saved), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("verify: ")
    if message:
        assert err == message


def test_report_bad_json_inputs(tmp_path, capsys) -> None:
    missing = tmp_path / "missing.json"
    assert main(["report", "--from-json", str(missing)]) == 2
    assert capsys.readouterr().err == f"verify: cannot read --from-json {str(missing)!r}: No such file or directory\n"
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    assert main(["report", "--from-json", str(text)]) == 2
    assert "is not JSON" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": 1, "derivations": [{}]}), encoding="utf-8")
    assert main(["report", "--from-json", str(other)]) == 2
    assert capsys.readouterr().err == (
        f"verify: --from-json {str(other)!r} is not a verify result (derivations[0]: the field 'id' is missing)\n"
    )
    other.write_text("[1, 2]", encoding="utf-8")
    assert main(["report", "--from-json", str(other)]) == 2
    assert "is not a verify result" in capsys.readouterr().err


def test_pdf_without_tex_says_how_to_install(saved, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(latex.shutil, "which", lambda name: None)
    out = tmp_path / "r.tex"
    assert main(["report", "--from-json", str(saved), "--output", str(out), "--pdf"]) == 2
    assert capsys.readouterr().err == (
        "verify: --pdf needs pdflatex, which is not installed; install TeX Live with: "
        "sudo apt-get install -y texlive-latex-base texlive-latex-recommended latexmk lmodern\n"
    )


def test_check_writes_junit(tmp_path) -> None:
    out = tmp_path / "junit.xml"
    assert main(["check", "reward_inversion", "--jobs", "1", "--quiet", "--junit", str(out)]) == 0
    root = ET.parse(out).getroot()
    assert root.get("tests") == "5" and root.get("failures") == "0" and root.get("errors") == "0"
    assert len(root.findall("./testsuite/testcase")) == 5


def test_unwritable_junit_path_is_a_usage_error(tmp_path, capsys) -> None:
    bad = tmp_path / "missing-dir" / "junit.xml"
    assert main(["check", "reward_inversion", "--jobs", "1", "--quiet", "--junit", str(bad)]) == 2
    message = f"verify: cannot write --junit {str(bad)!r}: the directory {str(bad.parent)!r} does not exist\n"
    assert capsys.readouterr().err == message


def test_reused_verdicts_do_not_change_the_report() -> None:
    result = sample_result()
    result.derivations[0].steps[0].cached = True
    assert render_latex(result) == render_latex(sample_result())
    assert render_markdown(result) == render_markdown(sample_result())


def test_report_from_json_also_writes_junit(saved, tmp_path) -> None:
    out = tmp_path / "steps.xml"
    assert main(["report", "--from-json", str(saved), "--output", str(tmp_path / "r.md"), "--junit", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == render_junit(sample_result())


def test_summary_tables_follow_the_report_order() -> None:
    result = sample_result()
    result.derivations.reverse()  # audits first in the result
    doc = render_markdown(result)
    assert doc.index("(`hostile`) | core") < doc.index("(`audit_notes`) | audit") < doc.index("(`audit_paper`)")
    tex = render_latex(result)
    assert tex.index(r"\hyperref[vfy:hostile]") < tex.index(r"\hyperref[vfy:audit-notes]")


def test_each_derivation_says_how_many_steps_are_verified() -> None:
    doc = render_latex(sample_result())
    assert "2 of 3 steps verified with everything they use.\\par" in doc  # the error step is not
    assert "0 of 2 steps verified with everything they use.\\par" in doc  # audit_notes: refuted steps
    assert "\n2 of 3 steps verified with everything they use.\n" in render_markdown(sample_result())
