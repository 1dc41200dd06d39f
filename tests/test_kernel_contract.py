"""The trusted kernel: its import contract and its verdict rule, fed every kind of outcome."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sympy as sp

import verify
from verify.kernel.obligations import Equation, Sign
from verify.kernel.prover import SymbolicOutcome
from verify.kernel.verdict import Evidence, decide

KERNEL = Path(verify.__file__).parent / "kernel"
FORBIDDEN = (
    "verify.search",
    "verify.run",
    "verify.render",
    "verify.cli",
    "verify.commands",
    "verify.losses",
    "verify.evaluator",
    "verify.results",
    "verify.pytest_plugin",
    "hypothesis",
)


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the kernel package
                out.add("verify.kernel." + (node.module or ""))
            else:
                out.add(node.module or "")
    return out


@pytest.mark.parametrize("path", sorted(KERNEL.glob("*.py")), ids=lambda p: p.name)
def test_kernel_imports_nothing_from_searching_running_rendering_or_the_cli(path):
    bad = sorted(m for m in _imports(path) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{path.name} imports {bad}"


def test_kernel_is_small():
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in KERNEL.glob("*.py"))
    assert lines < 900, lines


# --- the verdict rule ------------------------------------------------------------------------------

x = sp.Symbol("x")
EXACT = Equation(lhs=x, rhs=x)
NECESSARY = Sign(expr=x, role="necessary")
SUFFICIENT = Sign(expr=x, role="sufficient")
PROVED = SymbolicOutcome("proved", "expand")
UNPROVED = SymbolicOutcome("unproved", reason="no strategy")
TIMEOUT = SymbolicOutcome("timeout", reason="exceeded")
OK = Evidence("confirmed", 25)
BAD = Evidence("refuted", 3)
BROKEN = Evidence("error", 0, "cannot evaluate")
EMPTY = Evidence("confirmed", 0)


def test_proved_needs_every_proof_obligation_proved_and_a_cross_check():
    v = decide([EXACT], {0: PROVED}, {0: OK})
    assert (v.status, v.method, v.symbolic_method, v.final) == ("proved", "symbolic", "expand", True)


@pytest.mark.parametrize("evidence", [BROKEN, EMPTY, None], ids=["error", "no samples", "not searched"])
def test_a_proof_without_its_numeric_cross_check_says_so(evidence):
    numeric = {} if evidence is None else {0: evidence}
    v = decide([EXACT], {0: PROVED}, numeric)
    assert (v.status, v.crosschecked) == ("proved", False)
    assert v.reason.startswith("not cross-checked numerically")
    assert decide([EXACT], {0: PROVED}, {0: OK}).crosschecked


def test_a_refutation_wins_over_a_proof():
    assert decide([EXACT], {0: PROVED}, {0: BAD}).status == "refuted"


def test_a_failed_sufficient_condition_never_refutes():
    obligations = [NECESSARY, SUFFICIENT]
    v = decide(obligations, {1: UNPROVED}, {0: OK})
    assert v.status == "confirmed"
    # evidence against a sufficient condition is ignored: it is not implied by the claim
    v = decide(obligations, {1: UNPROVED}, {0: OK, 1: BAD})
    assert v.status == "confirmed"


def test_sufficient_conditions_prove_only_when_all_are_proved():
    obligations = [NECESSARY, SUFFICIENT, SUFFICIENT]
    assert decide(obligations, {1: PROVED, 2: PROVED}, {0: OK}).status == "proved"
    assert decide(obligations, {1: PROVED, 2: UNPROVED}, {0: OK}).status == "confirmed"
    assert decide(obligations, {1: PROVED}, {0: OK}).status == "confirmed"


def test_necessary_obligations_alone_never_prove():
    v = decide([NECESSARY], {}, {0: OK})
    assert v.status == "confirmed"


def test_a_budget_cut_short_is_not_final():
    v = decide([EXACT], {0: TIMEOUT}, {0: OK})
    assert (v.status, v.final) == ("confirmed", False)
    assert decide([EXACT], {0: UNPROVED}, {0: OK}).final


def test_unevaluable_implied_obligation_is_an_error():
    v = decide([EXACT, NECESSARY], {0: UNPROVED}, {0: OK, 1: BROKEN})
    assert v.status == "error" and "cannot evaluate" in v.reason
