"""The JSON of a step result: every field, in the documented order, as copies of the step's own tables."""

from __future__ import annotations

import dataclasses
import json

from verify.results import StepResult


def _step() -> StepResult:
    return StepResult(
        id="s",
        source={"file": "paper.tex", "line": "12"},
        uses=["a", "b"],
        claim_latex="x = y",
        justification="by algebra",
        expected="refuted",
        status="refuted",
        method="numeric",
        samples=7,
        max_rel_error=0.25,
        counterexample={"x": "1", "y": "2"},
        hints=[{"edit": "swap", "status": "proved", "claim_latex": "y = x", "samples": 3}],
        ledger=[{"assumption": "x > 0", "status": "confirmed", "counterexample": {"x": "0"}}],
        reproduction={"quantity": "q", "published": 0.5, "got": [0.25, (1, 2)]},
        reads={"/data/log.json": "ab" * 32},
    )


def test_a_step_writes_every_field_with_the_headline_ones_first():
    s = _step()
    out = s.to_json()
    assert list(out)[:8] == ["id", "source", "uses", "claim_latex", "justification", "expected", "status", "failed"]
    names = [f.name for f in dataclasses.fields(StepResult)]
    assert set(out) == {*names, "not_reproduced"}
    assert out["failed"] is False and out["not_reproduced"] is False
    for name in names:
        assert out[name] == getattr(s, name), name
    assert out["reproduction"]["got"][1] == (1, 2)  # tuples stay tuples, as dataclasses.asdict keeps them
    json.dumps(out)  # plain JSON
    assert "reads" not in dataclasses.replace(s, reads=None).to_json()  # absent when nothing was read
    assert StepResult.from_json(out).reads == s.reads


def test_the_json_of_a_step_does_not_share_its_tables():
    s = _step()
    out = s.to_json()
    out["counterexample"]["x"] = "99"
    out["uses"].append("c")
    out["hints"][0]["samples"] = 0
    out["ledger"][0]["counterexample"].clear()
    out["reproduction"]["got"][0] = 1.0
    assert s.to_json() == _step().to_json()


def test_a_step_read_back_from_its_json_is_the_same_step():
    s = _step()
    again = StepResult.from_json(json.loads(json.dumps(s.to_json())))
    assert dataclasses.asdict(again) == json.loads(json.dumps(dataclasses.asdict(s)))
