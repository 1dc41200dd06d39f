"""The LaTeX report compiles to a PDF whose text shows what was checked (needs TeX Live and poppler)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_data import HOSTILE_TEXT, HOSTILE_TITLE, sample_result

from verify.render.latex import compile_pdf, render_latex
from verify.results import RunResult

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdflatex") and shutil.which("pdftotext")),
    reason="needs pdflatex and pdftotext: apt-get install texlive-latex-base texlive-latex-recommended latexmk "
    "lmodern poppler-utils",
)


def _compile(result: RunResult, directory: Path, title: str = "Proof report") -> tuple[str, str]:
    """(normalised PDF text, LaTeX log) of ``result``'s report."""
    tex = directory / "report.tex"
    tex.write_text(render_latex(result, title), encoding="utf-8")
    pdf = compile_pdf(tex, log=directory / "tex.log")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\u2019", "'").replace("\u2018", "`")  # TeX typesets ' as a right quote
    return " ".join(text.split()), (directory / "tex.log").read_text(encoding="utf-8", errors="replace")


def test_hostile_text_prints_literally(tmp_path) -> None:
    text, log = _compile(sample_result(), tmp_path, title=HOSTILE_TITLE)
    assert text.startswith(HOSTILE_TITLE)  # the title, not the contents of /etc/passwd
    assert "root:" not in text
    if subprocess.run(["kpsewhich", "lmodern.sty"], capture_output=True, text=True).stdout.strip():
        assert HOSTILE_TEXT in text  # T1 fonts: '_' is a glyph
    else:
        assert HOSTILE_TEXT.replace("_", " ").replace("  ", " ") in text  # OT1 draws '_' as a rule
    assert "Overfull" not in log


@pytest.fixture(scope="module")
def full_run(all_run) -> RunResult:
    return all_run


def test_full_report_compiles_with_every_title_and_a_counterexample(full_run, tmp_path) -> None:
    text, log = _compile(full_run, tmp_path)
    assert not re.search(r"^! ", log, re.MULTILINE)
    assert log.count("Overfull") <= 2, "overfull boxes: long unbreakable text in the report"
    for d in full_run.derivations:
        assert " ".join(d.title.split()) in text, d.id
    refuted = [s for d in full_run.derivations for s in d.steps if s.status == "refuted" and s.counterexample]
    assert refuted, "the audits document refuted claims"
    assert "Counterexample. symbol value" in text
    first = refuted[0]
    symbol, value = next(iter(first.counterexample.items()))
    assert first.counterexample_latex and symbol in first.counterexample_latex  # typeset as declared
    assert f" {value} " in text


def test_a_latex_error_is_one_line_naming_the_log(tmp_path) -> None:
    from verify.errors import UsageError

    tex = tmp_path / "bad.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"failed on .*bad\.tex: Undefined control sequence\. \(see .*bad\.log\)$"):
        compile_pdf(tex)


def test_repair_hints_and_ledgers_print_literally_in_the_pdf(tmp_path) -> None:
    text, _ = _compile(sample_result(), tmp_path)
    flat = " ".join(text.split())
    assert "Repair hint. the rhs negated" in flat and "→ proved" in flat
    assert "Assumptions. p > 0: needed to be defined;" in flat
