"""Reports depend on the verdicts only, print symbols in their declared LaTeX, come as a fragment
to ``\\input``, and leave no TeX build files behind."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_data import sample_result

from verify.cli import main
from verify.render.latex import PACKAGES, compile_pdf, render_latex
from verify.render.markdown import render_markdown
from verify.results import RunResult, StepResult

ROOT = Path(__file__).resolve().parents[1]

BOUND = r"""
import sympy as sp
from verify import Derivation, Equal, Inequality, Source, Step, var
from verify.domains import POSITIVE

lam = var("lambda_D", POSITIVE, r"\lambda_D")
w = var("w_pref", POSITIVE)

derivation = Derivation(
    id="bound",
    title="A bound on the dual variable",
    source=Source("notes.md", "(1)"),
    steps=[
        Step("at_most_one", Inequality(lam * w, "<=", 1), "a planted error", expected="refuted"),
        Step("log_square", Equal(sp.log(lam**2), 2 * sp.log(lam)), "log of a square"),
    ],
)
"""


def _steps(result: RunResult) -> list[StepResult]:
    return [s for d in result.derivations for s in d.steps]


def _renders(result: RunResult) -> tuple[str, str, str]:
    return render_latex(result), render_latex(result, fragment=True), render_markdown(result)


# ---------------------------------------------------------------------------- same verdicts, same report


@settings(max_examples=30, deadline=None)
@given(
    cached=st.lists(st.booleans(), min_size=7, max_size=7),
    seconds=st.lists(st.floats(0, 1e4, allow_nan=False), min_size=8, max_size=8),
)
def test_cache_use_and_timings_never_reach_the_report(cached, seconds) -> None:
    cold = sample_result()
    warm = sample_result()
    assert len(_steps(warm)) == 7
    for step, reused, spent in zip(_steps(warm), cached, seconds[:-1], strict=True):
        step.cached = reused
        step.seconds = spent
    warm.seconds = seconds[-1]
    assert _renders(warm) == _renders(cold)


def test_every_step_cached_gives_the_same_text() -> None:
    cold = sample_result()
    warm = copy.deepcopy(cold)
    for step in _steps(warm):
        step.cached = True
    warm.seconds = cold.seconds + 100.0
    latex, fragment, markdown = _renders(warm)
    assert (latex, fragment, markdown) == _renders(cold)
    for doc in (latex, markdown):
        assert "cache" not in doc and "run time" not in doc


def _package(tmp_path: Path) -> None:
    pkg = tmp_path / "boundpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bound.py").write_text(textwrap.dedent(BOUND))


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    env.pop("VERIFY_CACHE_DIR", None)
    command = [sys.executable, "-m", "verify", "report", "--package", "boundpkg", "--jobs", "1", "--quiet", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def test_a_warm_run_writes_the_bytes_of_a_cold_run(tmp_path) -> None:
    _package(tmp_path)
    cache = str(tmp_path / "cache")
    for run in ("cold", "warm"):
        out = _cli(tmp_path, "--cache-dir", cache, "--output", f"{run}.tex", "--json", f"{run}.json")
        assert out.returncode == 0, out.stderr
        out = _cli(tmp_path, "--from-json", f"{run}.json", "--format", "markdown", "--output", f"{run}.md")
        assert out.returncode == 0, out.stderr
    cold = json.loads((tmp_path / "cold.json").read_text(encoding="utf-8"))
    warm = json.loads((tmp_path / "warm.json").read_text(encoding="utf-8"))
    assert not any(s["cached"] for d in cold["derivations"] for s in d["steps"])  # the first run checked
    assert all(s["cached"] for d in warm["derivations"] for s in d["steps"])  # the second reused every verdict
    for ext in ("tex", "md"):
        assert (tmp_path / f"cold.{ext}").read_bytes() == (tmp_path / f"warm.{ext}").read_bytes()


# ---------------------------------------------------------------------------- declared LaTeX names


def test_counterexamples_carry_and_print_the_declared_latex(tmp_path) -> None:
    _package(tmp_path)
    out = _cli(tmp_path, "--no-cache", "--output", "r.tex", "--json", "r.json")
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    step = data["derivations"][0]["steps"][0]
    assert step["status"] == "refuted"
    assert set(step["counterexample"]) == {"lambda_D", "w_pref"}
    assert step["counterexample_latex"] == {"lambda_D": r"\lambda_D", "w_pref": r"w_{pref}"}
    lam, w = float(step["counterexample"]["lambda_D"]), float(step["counterexample"]["w_pref"])
    assert lam > 0 and w > 0 and lam * w > 1  # a real counterexample to λ_D·w ≤ 1
    tex = (tmp_path / "r.tex").read_text(encoding="utf-8")
    assert "$\\lambda_D$ & " + step["counterexample"]["lambda_D"] in tex
    assert "$w_{pref}$ & " in tex
    assert "lambda\\_D" not in tex and "w\\_pref" not in tex
    markdown = render_markdown(RunResult.from_json(data))
    assert "| $`\\lambda_D`$ | " + step["counterexample"]["lambda_D"] + " |" in markdown
    assert "lambda\\_D" not in markdown


def test_the_latex_names_survive_json_and_old_results_still_read() -> None:
    result = sample_result()
    step = result.derivations[1].steps[0]
    step.counterexample_latex = {"beta": r"\beta", "p": r"p_{w}"}
    again = RunResult.from_json(json.loads(result.dumps()))
    assert again.derivations[1].steps[0].counterexample_latex == {"beta": r"\beta", "p": r"p_{w}"}
    assert "$\\beta$ & 1.0" in render_latex(again) and "$p_{w}$ & 0.5" in render_latex(again)
    old = json.loads(sample_result().dumps())
    for d in old["derivations"]:
        for s in d["steps"]:
            del s["counterexample_latex"]
    tex = render_latex(RunResult.from_json(old))  # a result of an older version: names as text
    assert "\\texttt{beta} & 1.0" in tex


def test_untrusted_latex_names_are_withheld_and_mistyped_ones_refused() -> None:
    data = json.loads(sample_result().dumps())
    step = data["derivations"][1]["steps"][0]
    step["counterexample_latex"] = {"beta": r"\input{/etc/passwd}", "p": r"\lambda"}
    tex = render_latex(RunResult.from_json(data))
    assert "\\input{/etc/passwd}" not in tex
    assert "$\\text{[formula withheld: it uses the TeX command input, which reports do not allow]}$ & 1.0" in tex
    markdown = render_markdown(RunResult.from_json(data))
    assert (
        "| $`\\text{[formula withheld: it uses the TeX command input, which reports do not allow]}`$ | 1.0 |"
        in markdown
    )
    assert "| $`\\lambda`$ | 0.5 |" in markdown
    step["counterexample_latex"] = ["beta"]
    with pytest.raises(ValueError, match=r"steps\[0\]\.counterexample_latex: expected an object of texts or null"):
        RunResult.from_json(data)


# ---------------------------------------------------------------------------- fragment


def test_the_fragment_is_a_body_with_its_own_macros_only() -> None:
    fragment = render_latex(sample_result(), "Appendix: checked steps", fragment=True)
    for whole_document_only in ("\\documentclass", "\\usepackage", "\\begin{document}", "\\end{document}"):
        assert whole_document_only not in fragment.replace("% \\usepackage", "")
    assert "\\section{Appendix: checked steps}" in fragment
    assert "\\section{Derivations}" in fragment and "\\section{Audits}" in fragment
    assert (
        "\\paragraph*{\\texttt{log\\_\\allowbreak{}mul\\_\\allowbreak{}eq\\_\\allowbreak{}add\\_\\allowbreak{}log}}"
        in fragment
    )
    defined = set(re.findall(r"\\(?:providecommand|newsavebox|newlength)\{?\\(\w+)", fragment))
    assert defined == {"vfyclaimline", "vfyclaimfits", "vfystatus", "hyperref", "vfyclaimbox", "vfyclaimwidth"}
    whole = render_latex(sample_result(), "Appendix: checked steps")
    assert whole.startswith("\\documentclass") and "\\part*{Derivations}" in whole


def test_fragment_options_that_make_no_sense_are_usage_errors(tmp_path, capsys) -> None:
    saved = tmp_path / "run.json"
    saved.write_text(sample_result().dumps(), encoding="utf-8")
    common = ["report", "--from-json", str(saved), "--fragment"]
    assert main([*common, "--format", "markdown"]) == 2
    assert capsys.readouterr().err == "verify: --fragment needs --format latex\n"
    assert main([*common, "--output", str(tmp_path / "r.tex"), "--pdf"]) == 2
    assert "drop --fragment" in capsys.readouterr().err
    assert main([*common, "--output", str(tmp_path / "f.tex")]) == 1  # the sample has failing steps
    assert (tmp_path / "f.tex").read_text(encoding="utf-8") == render_latex(sample_result(), fragment=True)


# ---------------------------------------------------------------------------- compiling

needs_tex = pytest.mark.skipif(
    not (shutil.which("pdflatex") and shutil.which("pdftotext")), reason="needs pdflatex and pdftotext"
)


@needs_tex
def test_report_pdf_leaves_only_the_tex_and_the_pdf(tmp_path) -> None:
    saved = tmp_path / "in" / "run.json"
    saved.parent.mkdir()
    saved.write_text(sample_result().dumps(), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["report", "--from-json", str(saved), "--output", str(out / "report.tex"), "--pdf"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["report.pdf", "report.tex"]


@needs_tex
def test_the_fragment_compiles_inside_a_paper(tmp_path) -> None:
    (tmp_path / "report.tex").write_text(render_latex(sample_result(), "Checked steps", fragment=True), "utf-8")
    paper = tmp_path / "paper.tex"
    body = "\\documentclass{article}\n" + PACKAGES + "\\begin{document}\nMain text.\n\\appendix\n"
    # the build directory holds only the paper, so the fragment is pasted where \input would read it
    body += (tmp_path / "report.tex").read_text("utf-8") + "\\end{document}\n"
    paper.write_text(body, encoding="utf-8")
    pdf = compile_pdf(paper)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    assert "Main text." in text and "A Checked steps" in text and "B Derivations" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper.pdf", "paper.tex", "report.tex"]


def test_the_audits_table_prints_the_declared_latex_too() -> None:
    from verify.render.audits import audits_markdown

    result = sample_result()
    step = result.derivations[1].steps[0]
    step.counterexample_latex = {"beta": r"\beta", "p": r"\input{x}"}
    row = next(line for line in audits_markdown(result).splitlines() if "sign_error_as_written" in line)
    assert "| $\\beta$=1.0, $\\text{[formula withheld: it uses the TeX command input," in row
    step.counterexample_latex = None  # a result of an older version: the names as text
    row = next(line for line in audits_markdown(result).splitlines() if "sign_error_as_written" in line)
    assert "| beta=1.0, p=0.5 → lhs=-0.693, rhs=0.693 |" in row
