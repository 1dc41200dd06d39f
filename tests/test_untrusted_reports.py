"""Reports rendered from a saved result anyone may have written: no TeX runs, no Markdown escapes.

A result read with ``report --from-json`` (or ``audits --from-json``) is untrusted input. Its
formulas are typeset only when they are plain mathematics (:mod:`verify.render.safe_tex`); TeX
runs confined to a build directory; every Markdown field is escaped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_data import sample_result

from verify.cli import main
from verify.errors import UsageError
from verify.render.latex import compile_pdf, render_latex
from verify.render.markdown import render_markdown
from verify.render.safe_tex import ALLOWED, math_problem, safe_math

ROOT = Path(__file__).resolve().parents[1]
HAS_TEX = bool(shutil.which("pdflatex") and shutil.which("pdftotext"))
needs_tex = pytest.mark.skipif(not HAS_TEX, reason="needs pdflatex and pdftotext")

HOSTILE_FORMULAS = [
    r"\input{/etc/passwd}",
    r"x \openin5=/etc/passwd \read5 to \secret \secret",
    r"\immediate\openout3=zz_injected.py \immediate\write3{import os} \immediate\closeout3",
    r"x^^5cinput{/etc/passwd}",  # a control word spelled with ^^ notation
    r"\csname input\endcsname{/etc/passwd}",
    r"\def\x{y} \x",
    r"\catcode`\@=0 @input{/etc/passwd}",
    r"x $\input{/etc/passwd}$",
    r"a } \input{/etc/passwd} {",
    r"\begin{filecontents}{x}\end{filecontents}",
    "x\n```\n# ALL STEPS PROVED\n```math\ny",
    r"\text{\input{/etc/passwd}}",
    r"x % comment out the rest",
    "\\",
    r"\left( x",
]


@pytest.mark.parametrize("latex", HOSTILE_FORMULAS)
def test_hostile_formulas_are_withheld(latex):
    assert math_problem(latex) is not None
    shown = safe_math(latex)
    assert shown.startswith(r"\text{[formula withheld: ") and math_problem(shown) is None
    assert "input" not in shown.replace("[formula withheld", "") or "TeX command" in shown


def _math_blocks(markdown: str) -> list[str]:
    return re.findall(r"```math\n(.*?)\n```", markdown, re.S)


def test_every_formula_the_tool_prints_is_allowed():
    """The example report holds every built-in step's claim and correction: none may be withheld."""
    blocks = _math_blocks((ROOT / "docs" / "report.md").read_text(encoding="utf-8"))
    assert len(blocks) > 200
    assert [b for b in blocks if math_problem(b)] == []


@given(
    st.lists(
        st.sampled_from(["\\", "a", "input", "frac", "left(", "right)", "{", "}", "^", "&", "#", "$", "%", " "])
    ).map("".join)
)
def test_whatever_the_input_what_is_typeset_is_plain_mathematics(latex):
    shown = safe_math(latex)
    assert math_problem(shown) is None
    words = set(re.findall(r"\\([A-Za-z]+)", shown))
    assert words <= ALLOWED
    assert not re.search(r"[#$%]|\^\^", shown)


def _hostile_result(tmp_path: Path, latex: str, **derivation_fields) -> Path:
    data = sample_result().to_json()
    data["schema"] = 1
    step = data["derivations"][0]["steps"][0]
    step["claim_latex"] = latex
    step["correction_latex"] = latex
    data["derivations"][0].update(derivation_fields)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_markdown_from_a_hostile_result_forges_no_heading_link_or_html(tmp_path, capsys):
    latex = "x\n```\n# ALL STEPS PROVED\n[click](https://example.invalid)\n```math\ny"
    path = _hostile_result(tmp_path, latex, kind="core\n# ALL STEPS PROVED <img src=x>", id="a\n# forged")
    out = tmp_path / "r.md"
    assert main(["report", "--from-json", str(path), "--format", "markdown", "--output", str(out)]) == 1
    md = out.read_text(encoding="utf-8")
    assert not any(line.lstrip().startswith("# ALL STEPS PROVED") for line in md.splitlines())
    assert not any(line.startswith("# forged") for line in md.splitlines())
    assert "](https://example.invalid)" not in md
    assert not re.search(r"(?<!\\)<img", md)  # shown as the text "<img", never an HTML tag
    for block in _math_blocks(md):
        assert math_problem(block) is None


def test_audits_markdown_from_a_hostile_result_keeps_its_table(tmp_path):
    data = sample_result().to_json()
    step = data["derivations"][1]["steps"][0]
    step["claim_latex"] = "x$ | \n# forged"
    step["diagnosis"] = "wrong\n# ALL CLAIMS HOLD"
    step["source"]["location"] = "Step 1 | extra cell"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "audits.md"
    assert main(["audits", "--from-json", str(path), "--output", str(out)]) in (0, 1)
    md = out.read_text(encoding="utf-8")
    assert not any(line.startswith("# ALL CLAIMS HOLD") or line.startswith("# forged") for line in md.splitlines())
    rows = [line for line in md.splitlines() if "sign_error_as_written" in line]
    assert len(rows) == 1 and rows[0].replace(r"\|", "").count("|") == 7  # six cells, nothing added


def _files(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*")}


@needs_tex
@pytest.mark.parametrize("latex", HOSTILE_FORMULAS[:3])
def test_a_pdf_from_a_hostile_result_reads_and_writes_nothing_outside_its_build(tmp_path, latex, capsys):
    work = tmp_path / "work"
    work.mkdir()
    path = _hostile_result(work, latex)
    tex = work / "report.tex"
    before = _files(tmp_path)
    assert main(["report", "--from-json", str(path), "--output", str(tex), "--pdf"]) == 1
    assert _files(tmp_path) - before == {tex, tex.with_suffix(".pdf")}  # no build files, no planted file
    text = subprocess.run(["pdftotext", str(tex.with_suffix(".pdf")), "-"], capture_output=True, text=True).stdout
    assert "root:" not in text and "formula withheld" in text


@needs_tex
def test_tex_itself_is_confined_to_its_build_directory(tmp_path):
    """Even a hand-written document given to compile_pdf cannot read absolute paths or write outside."""
    work = tmp_path / "work"
    work.mkdir()
    tex = work / "evil.tex"
    tex.write_text(
        "\\documentclass{article}\\begin{document}\n"
        "\\immediate\\openout3=../escaped.txt \\immediate\\write3{planted}\\immediate\\closeout3\n"
        "\\immediate\\openout4=planted.py \\immediate\\write4{planted}\\immediate\\closeout4\n"
        "\\newread\\r \\openin\\r=/etc/passwd \\ifeof\\r closed\\else\\read\\r to\\line LEAK:\\line\\fi\n"
        "\\end{document}\n",
        encoding="utf-8",
    )
    before = _files(tmp_path)
    try:
        pdf = compile_pdf(tex)
    except UsageError:
        pdf = None
    assert not (tmp_path / "escaped.txt").exists()
    assert _files(tmp_path) - before <= {tex.with_suffix(".pdf"), tex.with_suffix(".log")}
    if pdf is not None:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "LEAK" not in text and "root:" not in text


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["derivations"][0]["steps"][0].update(claim_latex=None), "claim_latex: expected str, got null"),
        (lambda d: d["derivations"][0]["steps"][0].update(status="proved!"), "status: 'proved!' is not one of"),
        (lambda d: d["derivations"][0]["steps"][0].update(uses="x"), "uses: expected a list of texts, got str"),
        (lambda d: d["derivations"][0].update(steps={}), "derivations[0].steps: expected a list, got dict"),
        (lambda d: d["derivations"][0]["steps"][0].update(counterexample={"x": [1]}), "counterexample: expected"),
        (lambda d: d["derivations"][0]["steps"][0].update(samples=True), "samples: expected int, got bool"),
    ],
)
def test_ill_typed_results_are_one_line_usage_errors(tmp_path, capsys, mutate, message):
    data = sample_result().to_json()
    data["schema"] = 1
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["report", "--from-json", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("verify: --from-json") and message in err, err


def test_deeply_nested_json_is_a_one_line_usage_error(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    assert main(["report", "--from-json", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nested too deeply" in err


def test_a_report_of_hostile_formulas_still_renders_latex(tmp_path):
    result = sample_result()
    for s in result.derivations[0].steps:
        s.claim_latex = HOSTILE_FORMULAS[0]
    doc = render_latex(result)
    assert "\\input{/etc/passwd}" not in doc
    assert render_markdown(result).count("formula withheld") == len(result.derivations[0].steps)
