"""The coverage ledger: displays extracted from a document, anchors checked against its text."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cache import ROOT

from verify.coverage import Coverage, Record, displays, ledger, resolve
from verify.results import RunResult

DOC = r"""# Notes

Let `$$x$$` be notation in a code span, not a display.

$$
p(y) = \exp(r(y)) \quad (1)
$$

Then the log is taken:

\[ \log p(y) = r(y) \]

\begin{align*}
a &= b \label{eq:ab}
\end{align*}

```
$$ fenced code, not a display $$
```

$$ q = \frac{1}{Z} \tag{2} $$

By [\[eq:ab\]](#eq:ab){reference-type="eqref"}, a cross-reference is not a display.
"""


def test_displays_are_found_in_reading_order_with_numbers_labels_and_lines():
    found = displays(DOC)
    assert [d.index for d in found] == [1, 2, 3, 4]
    assert [d.numbers for d in found] == [("1",), (), (), ("2",)]
    assert found[2].labels == ("eq:ab",)
    assert [d.line for d in found] == [5, 11, 13, 21]


def test_each_anchor_form_resolves_and_an_anchor_not_in_the_document_is_none():
    found = displays(DOC)
    assert resolve("eq. (1)", DOC, found) == [1]
    assert resolve("(2)", DOC, found) == [4]
    assert resolve("display 3", DOC, found) == [3]
    assert resolve("label:eq:ab", DOC, found) == [3]
    assert resolve(r"\log p(y)   =  r(y)", DOC, found) == [2]  # whitespace is ignored
    assert resolve("Then the log is taken", DOC, found) == []  # prose: found, covers nothing
    assert resolve(r"\log p(y) = 2 r(y)", DOC, found) is None
    assert resolve("eq. (3)", DOC, found) is None
    assert resolve("display 5", DOC, found) is None


def test_the_ledger_counts_covered_recorded_missing_and_reports_bad_anchors():
    cov = ledger(
        "notes.md",
        DOC,
        [("d.log", r"\log p(y) = r(y)"), ("d.typo", "p(y) = exp(r)")],
        [("d", Record("eq. (2)", "definition", "Z normalises"))],
    )
    assert (cov.covered, cov.recorded) == ([2], {4: "definition"})
    assert [d.index for d in cov.missing] == [1, 3]
    assert cov.errors == ["d.typo: anchor 'p(y) = exp(r)' is not found in notes.md"]
    assert cov.line() == "4 displays: 1 covered, 1 recorded, 2 missing"
    assert not cov.ok
    again = Coverage.from_json(json.loads(json.dumps(cov.to_json())))
    assert again.line() == cov.line() and [d.index for d in again.missing] == [1, 3]


def test_a_record_needs_a_known_reason():
    with pytest.raises(ValueError, match="reason"):
        Record("eq. (1)", "obvious")
    assert Record("eq. (1)", "unverifiable: no data").reason.startswith("unverifiable")


@given(st.lists(st.sampled_from(["a = b", r"\frac{x}{y}", "p(y)", r"\sum_i q_i"]), min_size=1, max_size=6))
def test_every_display_quoted_verbatim_is_covered(bodies):
    text = "\n\nsome prose\n\n".join(f"$$ {b} + {i} $$" for i, b in enumerate(bodies))
    anchors = [("s", f"{b} + {i}") for i, b in enumerate(bodies)]
    cov = ledger("t.md", text, anchors)
    assert cov.ok and cov.covered == list(range(1, len(bodies) + 1))


def test_a_run_result_reads_an_old_json_without_coverage_and_rejects_a_malformed_one():
    old = {"schema": 1, "tool_version": "0", "summary": {}, "derivations": []}
    assert RunResult.from_json(old).coverage == []
    with pytest.raises(ValueError, match=r"coverage\[0\]\.displays"):
        RunResult.from_json({**old, "coverage": [{"document": "a", "displays": "3", "covered": 0, "recorded": 0}]})


def test_the_coverage_command_lists_missing_displays_and_exits_1(tmp_path):
    doc = tmp_path / "mine.md"
    doc.write_text(DOC)
    out = subprocess.run(
        [sys.executable, "-m", "verify", "coverage", str(doc)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert out.returncode == 1, out.stderr
    assert "display 1 (eq. (1), line 5): missing" in out.stdout
    assert out.stdout.strip().endswith("mine.md: 4 displays: 0 covered, 0 recorded, 4 missing")
    bad = subprocess.run(
        [sys.executable, "-m", "verify", "coverage", str(tmp_path / "absent.md")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "cannot read DOC" in bad.stderr


def _audit(step):
    from verify import Derivation, Source

    return Derivation(id="lint", title="t", source=Source("d.md", ""), steps=[step], kind="audit")


def test_an_audit_step_that_closes_when_built_is_rejected_unless_it_says_why():
    import sympy as sp

    from verify import Equal, EqualUpToConstant, Step, var
    from verify.domains import POSITIVE, REAL
    from verify.errors import ClaimError

    p, q = var("p", POSITIVE), var("q", REAL)
    with pytest.raises(ClaimError, match="its claim closes to True when built"):
        _audit(Step("same_sides", Equal(sp.log(sp.exp(q)), q)))  # log(exp(q)) = q for real q, evaluated
    with pytest.raises(ClaimError, match="its correction closes"):
        _audit(Step("c", Equal(p, 2 * p), expected="refuted", correction=Equal(p + p, 2 * p)))
    with pytest.raises(ClaimError, match="its claim closes"):
        _audit(Step("const", EqualUpToConstant(q + p, q + 1, [q])))
    assert _audit(Step("said", Equal(sp.log(sp.exp(q)), q), trivial="the display is that evaluation"))
    assert _audit(Step("real", Equal(sp.log(p * p), 2 * sp.log(p))))  # a claim the checkers must prove
    from verify import Derivation, Source

    core = Derivation(id="c", title="t", source=Source("d.md", ""), steps=[Step("s", Equal(p, p))])
    assert core.kind == "core"  # the lint applies to audits and experiments, which transcribe documents


def test_every_audit_step_closed_when_built_states_why(registry):
    closed = {
        (d.id, s.id): s.trivial
        for d in registry.derivations.values()
        if d.kind in ("audit", "experiment")
        for s in d.steps
        if s.closed_at_construction()
    }
    assert closed and all(reason and len(reason) > 20 for reason in closed.values())
    # corrections never restate the claim's own sides
    for d in registry.derivations.values():
        for s in d.steps:
            if d.kind == "audit" and s.correction is not None:
                assert "correction" not in s.closed_at_construction(), (d.id, s.id)


def test_the_five_audited_documents_are_fully_accounted_for_by_the_command():
    for name in sorted((ROOT / "derivations" / "audits" / "sources").glob("*.txt")):
        out = subprocess.run(
            [sys.executable, "-m", "verify", "coverage", str(name), "--json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert out.returncode == 0, (name.name, out.stdout[-2000:], out.stderr)
        ledger_ = json.loads(out.stdout)
        assert ledger_["missing"] == [] and ledger_["errors"] == []
        assert ledger_["covered"] + ledger_["recorded"] == ledger_["displays"] > 10
        assert all(r["state"] != "missing" for r in ledger_["rows"])


def test_a_cited_document_that_is_not_shipped_is_an_error_of_the_ledger(tmp_path):
    from verify.coverage import run_ledgers
    from verify.results import DerivationResult, StepResult

    step = StepResult(
        id="s",
        source={"document": "absent.md", "location": ""},
        uses=[],
        claim_latex="x = x",
        justification="",
        expected="holds",
        status="proved",
        method="symbolic",
        anchors=["eq. (1)"],
    )
    run = RunResult([DerivationResult("d", "t", "audit", {"document": "absent.md"}, [step])], 0.0, "0")
    (cov,) = run_ledgers(run, [tmp_path])
    assert cov.errors == ["absent.md is cited by anchors but not found in a sources/ directory"] and not cov.ok
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "absent.md").write_text("$$ x = 1 \\quad (1) $$\n")
    (cov,) = run_ledgers(run, [tmp_path])
    assert cov.ok and cov.line() == "1 displays: 1 covered, 0 recorded, 0 missing"
