"""A small, fixed run result for the renderer tests: hostile user text and every status."""

from __future__ import annotations

from verify.results import DerivationResult, RunResult, StepResult

HOSTILE_TITLE = r"\input{/etc/passwd}"
HOSTILE_TEXT = "50% _x_ #1"


def step(ident: str, status: str, expected: str = "holds", **kw) -> StepResult:
    fields = {
        "id": ident,
        "source": {"document": "notes.md", "location": "eq. (1)"},
        "uses": [],
        "claim_latex": r"\log{\left(p q \right)} = \log{\left(p \right)} + \log{\left(q \right)}",
        "justification": "log of a product",
        "expected": expected,
        "status": status,
        "method": "symbolic" if status == "proved" else "numeric",
        "samples": 25,
    }
    fields.update(kw)
    return StepResult(**fields)


def sample_result() -> RunResult:
    """Three derivations: a core one with hostile text, and two audits of one document."""
    core = DerivationResult(
        "hostile",
        HOSTILE_TITLE,
        "core",
        {"document": HOSTILE_TEXT, "location": "<b>(a)</b>"},
        [
            step(
                "log_mul_eq_add_log",
                "proved",
                symbolic_method="expand_log",
                max_rel_error=1e-31,
                ledger=[
                    {
                        "assumption": "p > 0",
                        "assumption_latex": "p > 0",
                        "widened": "p ≤ 0",
                        "verdict": "needed to be defined",
                        "samples": 0,
                    },
                    {"assumption": HOSTILE_TEXT, "verdict": "not used", "samples": 8},
                ],
            ),
            step("numeric_only", "confirmed", reason="not proved symbolically: no method", uses=["log_mul_eq_add_log"]),
            step("crashes", "error", method=None, samples=0, reason="division by zero"),
        ],
        summary=HOSTILE_TEXT,
    )
    audit = DerivationResult(
        "audit_notes",
        "Audit: notes",
        "audit",
        {"document": "notes.md", "location": "Step 1"},
        [
            step(
                "sign_error_as_written",
                "refuted",
                expected="refuted",
                claim_latex=r"\beta \log{\left(p \right)} = - \beta \log{\left(p \right)}",
                counterexample={"beta": "1.0", "p": "0.5"},
                values={"lhs": "-0.693", "rhs": "0.693"},
                correction_latex=r"\beta \log{\left(p \right)} = \beta \log{\left(p \right)}",
                correction_status="proved",
                diagnosis="the sign of the second term",
                hints=[
                    {
                        "edit": "the rhs negated " + HOSTILE_TEXT,
                        "kind": "negate side",
                        "status": "proved",
                        "claim_latex": r"\beta \log{\left(p \right)} = \beta \log{\left(p \right)}",
                        "samples": 25,
                        "method": "symbolic",
                    }
                ],
            ),
            step(
                "wrongly_claimed",
                "refuted",
                counterexample={"p": "0.25"},
                values={"lhs": "1", "rhs": "2"},
            ),
        ],
    )
    audit_other = DerivationResult(
        "audit_paper",
        "Audit: paper",
        "audit",
        {"document": "paper.txt", "location": "Table 1"},
        [
            step(
                "table_entry",
                "confirmed",
                claim_latex=r"\text{accuracy} = 0.531",
                samples=1,
                reproduction={
                    "quantity": "accuracy",
                    "published": 0.531,
                    "recomputed": 0.53149,
                    "tolerance": 0.0005,
                    "reproduced": True,
                },
            ),
            step("caught_no_more", "proved", expected="refuted"),
        ],
    )
    env = {"python": "3.11.7", "sympy": "1.14.0", "profile": "ci"}
    return RunResult([core, audit, audit_other], 1.25, "0.1.0", "ci", env)
