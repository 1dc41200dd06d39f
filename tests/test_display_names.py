"""Counterexamples name each symbol in its declared notation on every text surface (console, plain
recap, GitHub annotations, JUnit, pytest items), while the JSON keeps the stable internal names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_cache import ROOT
from verify.render._report import display_name, display_point
from verify.results import StepResult
from verify.unicode_tex import SYMBOLS, unicode_name


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\lambda_{D}", "λ_D"),
        (r"\lambda_D", "λ_D"),
        (r"\pi_{\mathrm{ref}}(y_w)", "π_ref(y_w)"),
        (r"\log\pi_\theta(y_l)", "log π_θ(y_l)"),
        (r"\pi^{*}", "π^*"),
        (r"p^{*}(y \succ \mu)", "p^*(y ≻ μ)"),
        ("{\\beta}'", "β′"),
        (r"\hat{r}", "r\u0302"),
        (r"v_{12}", "v_12"),
        (r"x_{i+1}", "x_{i+1}"),
        (r"\varepsilon", "ε"),
        (r"\Delta", "Δ"),
        (r"\text{module loads}", "module loads"),
    ],
)
def test_declared_names_read_as_unicode(latex, text):
    assert unicode_name(latex) == text


@pytest.mark.parametrize(
    "latex", [r"\input{/etc/passwd}", r"\foo", "{x", "x}", "a\\\\b", "x\x1b[31m", "$x$", "", "\\", "x\\"]
)
def test_what_is_more_than_a_name_gives_none(latex):
    assert unicode_name(latex) is None


def test_every_greek_command_is_its_letter():
    assert SYMBOLS["lambda"] == "λ" and SYMBOLS["Omega"] == "Ω"
    for command, letter in SYMBOLS.items():
        if command.lower() in ("alpha", "beta", "gamma", "delta", "mu", "omega"):
            case = "CAPITAL" if command[0].isupper() else "SMALL"
            assert unicodedata.name(letter) == f"GREEK {case} LETTER {command.upper()}"


@given(st.text(max_size=40))
def test_any_text_gives_a_printable_name_without_tex_or_none(latex):
    text = unicode_name(latex)
    assert text is None or (text and text.isprintable() and "\\" not in text and text == text.strip())


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True))
def test_a_plain_name_is_itself(name):
    assert unicode_name(name) == name


def _step(counterexample: dict[str, str], latex: dict[str, str] | None) -> StepResult:
    return StepResult(
        id="s",
        source={},
        uses=[],
        claim_latex="",
        justification="",
        expected="holds",
        status="refuted",
        method="numeric",
        counterexample=counterexample,
        counterexample_latex=latex,
    )


def test_the_internal_name_stands_where_there_is_no_notation_and_twins_are_told_apart():
    assert display_name("lambda_D", None) == "lambda_D"
    assert display_name("q", r"\input{x}") == "q"
    step = _step({"r": "1", "r_pos": "2", "lambda_D": "0.5"}, {"r": "r", "r_pos": "r", "lambda_D": r"\lambda_{D}"})
    assert display_point(step) == "r [r]=1, r [r_pos]=2, λ_D=0.5"
    many = _step({f"x{i}": str(i) for i in range(14)}, None)
    assert display_point(many).endswith("x11=11, … (2 more)")


DECLARED = r"""
import sympy as sp

from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE, PROBABILITY

lambda_D = var("lambda_D", POSITIVE, r"\lambda_{D}")
pi_ref = var("pi_ref", PROBABILITY, r"\pi_{\mathrm{ref}}")

derivation = Derivation(
    id="named",
    title="a false log rule on declared symbols",
    source=Source("notes.md", "eq. (1)"),
    steps=[Step("log_sum", Equal(sp.log(lambda_D + pi_ref), sp.log(lambda_D) + sp.log(pi_ref)), "false")],
)
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("named")
    (root / "namedpkg").mkdir()
    (root / "namedpkg" / "__init__.py").write_text("")
    (root / "namedpkg" / "named.py").write_text(DECLARED)
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(root)]), GITHUB_ACTIONS="true", COLUMNS="250")
    env.pop("VERIFY_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=root, timeout=300, encoding="utf-8"
    )


def test_every_text_surface_names_the_declared_symbols_and_the_json_the_internal_ones(package):
    out = run(package, "-m", "verify", "all", "--package", "namedpkg", "--no-cache", "--format", "plain",
              "--json", "r.json", "--junit", "j.xml")  # fmt: skip
    assert out.returncode == 1, out.stderr
    step = json.loads((package / "r.json").read_text())["derivations"][0]["steps"][0]
    point = step["counterexample"]
    assert set(point) == {"lambda_D", "pi_ref"}  # the stable names
    assert step["counterexample_latex"] == {"lambda_D": r"\lambda_{D}", "pi_ref": r"\pi_{\mathrm{ref}}"}
    shown = f"λ_D={point['lambda_D']}, π_ref={point['pi_ref']}"
    lines = out.stdout.splitlines()
    assert f"  counterexample: {shown}" in lines  # the recap
    annotation = next(line for line in lines if line.startswith("::error "))
    assert f"; counterexample {shown}" in annotation
    failure = next(ET.parse(package / "j.xml").getroot().iter("failure"))
    assert failure.get("message").startswith(f"refuted: counterexample {shown} (lhs = ")
    assert "lambda_D" not in out.stdout and "lambda_D" not in failure.get("message")

    table = run(package, "-m", "verify", "all", "--package", "namedpkg", "--no-cache", "--format", "table")
    assert table.returncode == 1
    assert f"counterexample: {shown}" in " ".join(table.stdout.replace("│", " ").split())  # the Rich detail

    items = run(package, "-m", "pytest", "-p", "no:cacheprovider", "--verify", "--verify-only",
                "--verify-package", "namedpkg", "-q", "--rootdir", str(package))  # fmt: skip
    assert items.returncode == 1
    assert f"counterexample: {shown}" in items.stdout
