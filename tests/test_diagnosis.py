"""Diagnosis: repair hints recover planted single-edit errors; the assumption ledger tells needed
assumptions from unused ones; hints and ledgers reach the results JSON and can be turned off."""

from __future__ import annotations

import math
import random
import time
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from verify.diagnose.hints import repair_hints
from verify.diagnose.ledger import assumption_ledger
from verify.diagnose.repairs import repairs
from verify.domains import LOG_PROB, POSITIVE, POSITIVE_INTEGER, PROBABILITY, REAL, domain_of, var
from verify.functions import logsigmoid, rewrite_special, sigmoid, softplus
from verify.kernel.obligations import Conditional, Equation, Invariance, LimitOf, Sign
from verify.model import (
    Derivation,
    Equal,
    EqualUpToConstant,
    ForSizes,
    Implies,
    IndependentOf,
    Inequality,
    Limit,
    Solves,
    Source,
    Stationary,
    Step,
)
from verify.profiles import PROFILES
from verify.results import StepResult
from verify.run.attempt import attempt, claim_domains
from verify.run.check import check_step
from verify.search.fuzz import search_points

CI = PROFILES["ci"]

beta = var("beta", POSITIVE, r"\beta")
pw, pl = var("pi_w", LOG_PROB, r"\pi_w"), var("pi_l", LOG_PROB, r"\pi_l")
rw, rl = var("ref_w", LOG_PROB, r"\pi^{ref}_w"), var("ref_l", LOG_PROB, r"\pi^{ref}_l")
x, y = var("x", REAL), var("y", REAL)
t, u = var("t", POSITIVE), var("u", POSITIVE)
p = var("p", PROBABILITY)
n = var("n", POSITIVE_INTEGER)
z = var("z", REAL)

margin = beta * (pw - rw) - beta * (pl - rl)
swapped = beta * (pl - rl) - beta * (pw - rw)
dpo = -logsigmoid(margin)


def _family(k: int, planted: bool) -> Equal:
    ws = [var(f"w_{i}", POSITIVE) for i in range(1, k + 1)]
    total = sp.Add(*ws)
    return Equal(sp.Add(*[w / total for w in ws]), -1 if planted else 1)


#: (name, the true claim, the same claim with one planted error)
PLANTED = [
    ("dpo sign of the margin", Equal(dpo, softplus(-margin)), Equal(dpo, softplus(margin))),
    ("dpo winner/loser swapped", Equal(dpo, softplus(-margin)), Equal(-logsigmoid(swapped), softplus(-margin))),
    (
        "dpo reference added",
        Equal(dpo, softplus(-margin)),
        Equal(-logsigmoid(beta * (pw + rw) - beta * (pl - rl)), softplus(-margin)),
    ),
    (
        "dpo gradient missing beta",
        Equal(sp.diff(dpo, pw), -beta * sigmoid(-margin)),
        Equal(sp.diff(dpo, pw), -sigmoid(-margin)),
    ),
    (
        "dpo gradient sign",
        Equal(sp.diff(dpo, pw), -beta * sigmoid(-margin)),
        Equal(sp.diff(dpo, pw), beta * sigmoid(-margin)),
    ),
    (
        "dpo loser gradient swapped",
        Equal(sp.diff(dpo, pl), beta * sigmoid(-margin)),
        Equal(sp.diff(dpo, pl), beta * sigmoid(margin)),
    ),
    ("sigmoid symmetry", Equal(sigmoid(-x), 1 - sigmoid(x)), Equal(sigmoid(-x), 1 + sigmoid(x))),
    ("log-sigmoid", Equal(logsigmoid(x), -softplus(-x)), Equal(logsigmoid(x), -softplus(x))),
    (
        "sigmoid derivative",
        Equal(sp.diff(sigmoid(x), x), sigmoid(x) * sigmoid(-x)),
        Equal(sp.diff(sigmoid(x), x), sigmoid(x) * sigmoid(x)),
    ),
    (
        "ipo target",
        Equal((x - 1 / (2 * beta)) ** 2, x**2 - x / beta + 1 / (4 * beta**2)),
        Equal((x - 1 / (2 * beta)) ** 2, x**2 + x / beta + 1 / (4 * beta**2)),
    ),
    (
        "ipo target half",
        Equal((x - 1 / (2 * beta)) ** 2, x**2 - x / beta + 1 / (4 * beta**2)),
        Equal((x - 1 / beta) ** 2, x**2 - x / beta + 1 / (4 * beta**2)),
    ),
    ("log of a ratio", Equal(sp.log(t / u), sp.log(t) - sp.log(u)), Equal(sp.log(t / u), sp.log(t) + sp.log(u))),
    (
        "log of a ratio swapped",
        Equal(sp.log(t / u), sp.log(t) - sp.log(u)),
        Equal(sp.log(u / t), sp.log(t) - sp.log(u)),
    ),
    (
        "reward inversion",
        Equal(beta * sp.log(sp.exp(x / beta) * t / u) - beta * sp.log(t / u), x),
        Equal(beta * sp.log(sp.exp(x / beta) * t / u) + beta * sp.log(t / u), x),
    ),
    ("length normalised", Equal(beta * (n * x) / n, beta * x), Equal(beta * (n * x) / n, beta * x / n)),
    ("square expansion", Equal((x + y) ** 2, x**2 + 2 * x * y + y**2), Equal((x + y) ** 2, x**2 - 2 * x * y + y**2)),
    ("difference of squares", Equal((x - y) * (x + y), x**2 - y**2), Equal((x - y) * (x + y), y**2 - x**2)),
    ("exp of a sum", Equal(sp.exp(x + y), sp.exp(x) * sp.exp(y)), Equal(sp.exp(x - y), sp.exp(x) * sp.exp(y))),
    ("log bound", Inequality(sp.log(t), "<=", t - 1), Inequality(sp.log(t), ">=", t - 1)),
    ("softplus above", Inequality(softplus(x), ">", x), Inequality(softplus(x), "<", x)),
    ("am-gm", Inequality(t + u, ">=", 2 * sp.sqrt(t * u)), Inequality(t - u, ">=", 2 * sp.sqrt(t * u))),
    ("sigmoid below one", Inequality(sigmoid(x), "<", 1), Inequality(sigmoid(x), "<", 0)),
    ("logsigmoid nonpositive", Inequality(logsigmoid(x), "<=", 0), Inequality(-logsigmoid(x), "<=", 0)),
    (
        "probability bound",
        Inequality(p * (1 - p), "<=", sp.Rational(1, 4)),
        Inequality(p * (1 + p), "<=", sp.Rational(1, 4)),
    ),
    (
        "partition cancels",
        IndependentOf(sp.log(t * sp.exp(x) / u) - sp.log(t * sp.exp(y) / u), [u]),
        IndependentOf(sp.log(t * sp.exp(x) / u) + sp.log(t * sp.exp(y) / u), [u]),
    ),
    (
        "objectives up to a constant",
        EqualUpToConstant(sp.log(sigmoid(x)) + y, -softplus(-x), [x]),
        EqualUpToConstant(sp.log(sigmoid(x)) + y, -softplus(x), [x]),
    ),
    ("minimum of a square", Stationary((x - y) ** 2, {x: y}, "min"), Stationary((x - y) ** 2, {x: -y}, "min")),
    ("maximum of a concave", Stationary(-((x - 1) ** 2), {x: 1}, "max"), Stationary(-((x - 1) ** 2), {x: 1}, "min")),
    (
        "solution of a linear system",
        Solves([(x + y, 3 * z), (x - y, z)], {x: 2 * z, y: z}),
        Solves([(x + y, 3 * z), (x - y, z)], {x: 2 * z, y: -z}),
    ),
    ("sigmoid limit", Limit(sigmoid(-x), x, sp.oo, 0), Limit(sigmoid(x), x, sp.oo, 0)),
    (
        "implication",
        Implies([sp.Gt(x, y)], Inequality(sigmoid(x), ">", sigmoid(y))),
        Implies([sp.Gt(x, y)], Inequality(sigmoid(x), "<", sigmoid(y))),
    ),
    (
        "family",
        ForSizes(lambda k: _family(k, False), symbolic=(2, 3), numeric=(5,)),
        ForSizes(lambda k: _family(k, True), symbolic=(2, 3), numeric=(5,)),
    ),
]


def _check(claim, profile=CI) -> StepResult:
    d = Derivation(id="t", title="t", source=Source("t.md"), steps=[Step(id="s", claim=claim, justification="j")])
    return check_step(d, d.steps[0], profile)


def _residuals(claim):
    """A claim's first implied obligation as (values at a point, the kind of comparison)."""
    obs = [o for o in claim.obligations() if o.fuzzed] or claim.obligations()
    o = obs[0]
    if isinstance(o, Conditional):
        o = o.inner
    if isinstance(o, Equation):
        return o.lhs - o.rhs, "equation"
    if isinstance(o, Sign):
        return o.expr, "sign"
    if isinstance(o, Invariance):
        return sp.diff(o.expr, o.wrt[0]), "equation"
    if isinstance(o, LimitOf):
        return o.expr.subs(o.var, 7) - o.value, "equation"
    raise AssertionError(type(o))


def _equivalent(a, b) -> bool:
    """Whether two claims say the same: their first residuals are proportional (positively for signs)."""
    if isinstance(a, ForSizes):
        return _equivalent(a.claim(2), b.claim(2))
    if isinstance(a, Stationary) and isinstance(b, Stationary):
        return a.kind == b.kind and _equivalent(Solves([(x, x)], a.point), Solves([(x, x)], b.point))
    if isinstance(a, Solves) and isinstance(b, Solves):
        return all(sp.simplify(a.solution[k] - b.solution.get(k, sp.nan)) == 0 for k in a.solution)
    ra, kind = _residuals(a)
    rb, _ = _residuals(b)
    ra, rb = rewrite_special(ra), rewrite_special(rb)
    rng = random.Random(1)
    ratios = []
    for _ in range(5):
        point = {
            s: rng.uniform(0.2, 0.9) if domain_of(s).support[0] >= 0 else rng.uniform(-0.9, 0.9)
            for s in ra.free_symbols | rb.free_symbols
        }
        va, vb = complex(ra.subs(point).evalf(30)), complex(rb.subs(point).evalf(30))
        if abs(va) < 1e-12 and abs(vb) < 1e-12:
            continue
        if abs(va) < 1e-12 or abs(vb) < 1e-12:
            return False
        ratios.append(vb / va)
    if not ratios:
        return True
    same = all(abs(r - ratios[0]) <= 1e-9 * abs(ratios[0]) for r in ratios)
    return same and (kind != "sign" or ratios[0].real > 0)


def test_planted_suite_is_at_least_thirty_true_claims_each_refuted_when_planted():
    assert len(PLANTED) >= 30
    kinds = {type(true).__name__ for _, true, _ in PLANTED}
    assert kinds >= {
        "Equal",
        "Inequality",
        "IndependentOf",
        "EqualUpToConstant",
        "Stationary",
        "Solves",
        "Limit",
        "Implies",
        "ForSizes",
    }


@pytest.fixture(scope="module")
def diagnosed() -> dict[str, tuple[StepResult, StepResult, list]]:
    out = {}
    for name, true, planted in PLANTED:
        good, bad = _check(true), _check(planted)
        obs = planted.obligations()
        domains = claim_domains(obs)
        done = attempt(obs, domains, CI)
        label = obs[done.verdict.refuting].label if done.verdict.refuting is not None else ""
        hints = (
            repair_hints(planted, done.refuting, label, domains, CI, deadline=math.inf)
            if bad.status == "refuted"
            else []
        )
        out[name] = (good, bad, hints)
    return out


def test_every_true_claim_holds_and_every_planted_error_is_refuted(diagnosed):
    for name, (good, bad, _) in diagnosed.items():
        assert good.status in ("proved", "confirmed"), (name, good.reason)
        assert bad.status == "refuted", (name, bad.status, bad.reason)


def test_hints_recover_at_least_80_percent_of_planted_errors(diagnosed):
    recovered = [name for (name, true, _) in PLANTED if any(_equivalent(true, h.claim) for h in diagnosed[name][2])]
    missed = sorted(set(diagnosed) - set(recovered))
    assert len(recovered) >= 0.8 * len(PLANTED), f"recovered {len(recovered)}/{len(PLANTED)}; missed: {missed}"


def test_no_hint_is_a_claim_the_engine_did_not_check(diagnosed):
    for name, (_, _, hints) in diagnosed.items():
        for h in hints:
            assert h.status in ("proved", "confirmed"), name
            again = _check(h.claim)  # an independent check of the edited claim
            assert again.status in ("proved", "confirmed"), (name, h.edit, again.status)


def test_a_refuted_step_result_carries_its_hints_in_words_and_latex():
    r = _check(Equal(dpo, softplus(margin)))
    assert r.status == "refuted" and r.hints
    first = r.hints[0]
    assert first["status"] in ("proved", "confirmed") and first["edit"] and first["claim_latex"]
    again = StepResult.from_json(r.to_json())
    assert again.hints == r.hints


def test_no_diagnosis_profile_gives_neither_hints_nor_ledgers():
    off = replace(CI, diagnose=False)
    assert _check(Equal(dpo, softplus(margin)), off).hints is None
    assert _check(Inequality(t + 1 / t, ">=", 2), off).ledger is None


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        (Equal(sp.Integral(sp.exp(-t * var("s_int", REAL)), (var("s_int", REAL), 0, sp.oo)), 1 / t), "proved"),
        (Equal(sp.Integral(sp.exp(-t * var("s_int", REAL)), (var("s_int", REAL), 0, sp.oo)), 2 / t), "refuted"),
    ],
    ids=["ledger", "hints"],
)
def test_the_diagnosis_stops_at_its_limit_inside_a_slow_evaluation(claim, status):
    """∫₀^∞ e^(−ts) ds at a widened t ≤ 0 sends mpmath's quadrature on for minutes: the diagnosis is
    cut at its limit in the middle of that evaluation, not only between its searches."""
    quick = replace(CI, diagnosis_seconds=0.5)
    start = time.process_time()
    r = _check(claim, quick)
    assert r.status == status
    assert time.process_time() - start < 30
    assert r.diagnosis_note == "the diagnosis stopped at its 0.5 s safety limit"


# --- the assumption ledger --------------------------------------------------------------------------


def _ledger(claim):
    obs = claim.obligations()
    return {e.assumption: e for e in assumption_ledger(obs, claim_domains(obs), CI)}


def test_a_claim_that_needs_positivity_lists_it_as_necessary_with_a_counterexample_outside():
    ledger = _ledger(Inequality(t + 1 / t, ">=", 2))  # for t < 0, t + 1/t ≤ −2
    entry = ledger["t > 0"]
    assert entry.verdict == "necessary"
    value = float(entry.counterexample["t"])
    assert value <= 0 and not value + 1 / value >= 2  # the counterexample really violates the claim


def test_a_claim_without_real_values_outside_its_domain_needs_it_to_be_defined():
    ledger = _ledger(Equal(sp.log(t * u), sp.log(t) + sp.log(u)))  # log of a negative: not real
    assert ledger["t > 0"].verdict == ledger["u > 0"].verdict == "needed to be defined"


def test_a_claim_true_for_all_reals_lists_positivity_as_not_used():
    ledger = _ledger(Equal((t + u) ** 2, t**2 + 2 * t * u + u**2))
    assert ledger["t > 0"].verdict == "not used" and ledger["u > 0"].verdict == "not used"
    assert ledger["t > 0"].samples > 0


def test_probability_bound_needs_the_unit_interval_and_an_implication_needs_its_hypothesis():
    assert _ledger(Inequality(p * (1 - p), ">=", 0))["p ∈ (0, 1)"].verdict == "necessary"
    ledger = _ledger(Implies([sp.Gt(x, y)], Inequality(sigmoid(x), ">", sigmoid(y)), names=["x above y"]))
    entry = next(e for a, e in ledger.items() if a.startswith("x above y"))
    assert entry.verdict == "necessary"
    cx, cy = float(entry.counterexample["x"]), float(entry.counterexample["y"])
    assert not (1 / (1 + math.exp(-cx)) > 1 / (1 + math.exp(-cy)))


def test_a_proved_step_result_carries_its_ledger():
    r = _check(Inequality(t + 1 / t, ">=", 2))
    assert r.status in ("proved", "confirmed")
    assert [e["verdict"] for e in r.ledger] == ["necessary"]
    assert StepResult.from_json(r.to_json()).ledger == r.ledger


def test_search_points_reports_the_first_violating_point_and_counts_decided_points():
    (ob,) = Equal(x, y).obligations()
    domains = claim_domains([ob])
    out = search_points(ob, [{"x": 1.0, "y": 1.0}, {"x": 1.0, "y": 2.0}], domains, CI)
    assert out.status == "refuted" and out.point == {"x": 1.0, "y": 2.0}
    assert search_points(ob, [{"x": 3.0, "y": 3.0}], domains, CI).status == "confirmed"


# --- hints where the loss checker and the code checker compare with a formula ------------------------


DPO_TEXT = "-logsigmoid(beta*(logp_w - ref_logp_w) - beta*(logp_l - ref_logp_l))"


def _claimed(grad: str):
    from verify.losses.check import check_loss

    report = check_loss(DPO_TEXT, claimed_grad=grad)
    return next(p for p in report.properties if p.id == "claimed_gradient")


def test_a_claimed_gradient_missing_beta_gets_the_checked_edit_that_restores_it():
    prop = _claimed("-sigmoid(beta*(logp_l - ref_logp_l) - beta*(logp_w - ref_logp_w))")
    assert prop.status == "violated"
    assert "the claimed gradient multiplied by β → proved" in prop.details["repair hints"]


def test_a_claimed_gradient_with_the_sigmoid_argument_negated_gets_that_edit():
    prop = _claimed("-beta*sigmoid(beta*(logp_w - ref_logp_w) - beta*(logp_l - ref_logp_l))")
    assert prop.status == "violated"
    hints = prop.details["repair hints"]  # σ(m) for σ(−m): the argument negated, or winner and loser swapped
    assert "negated the argument of σ" in hints or "l and w swapped" in hints
    assert hints.endswith("→ proved")


def test_a_correct_claimed_gradient_has_no_hints():
    prop = _claimed("-beta*sigmoid(beta*(logp_l - ref_logp_l) - beta*(logp_w - ref_logp_w))")
    assert prop.status == "holds" and "repair hints" not in prop.details


def _values(fn):
    from verify.code.check import check_implementation

    report = check_implementation(fn, against="dpo", params={"beta": 0.1})
    return next(p for p in report.properties if p.id == "formula_values")


def test_the_code_checker_names_the_edit_of_the_formula_the_code_computes():
    from tests.code_examples import numpy_losses as nl

    flipped = _values(nl.mutant_sign_flip)
    assert flipped.status == "violated"
    assert flipped.details["repair hints"] == ["the formula negated (equal at 192 examples)"]
    swapped = _values(nl.mutant_swapped_winner)
    assert any(h.startswith("l and w swapped") for h in swapped.details["repair hints"])
    assert "repair hints" not in _values(nl.mutant_beta_placement).details  # β on one part only: no single edit
    assert _values(nl.dpo_loss).status == "holds"


def test_code_that_leaves_out_the_reference_is_named_so_first():
    """DPO without its reference was explained only as "l and w swapped in the term −ref_logp_w", which also
    cancels the reference: true, but not what the code does."""

    def reference_free(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
        return np.logaddexp(0.0, -beta * (chosen_logps - rejected_logps))

    hints = _values(reference_free).details["repair hints"]
    assert hints[0] == "the reference log-probabilities left out (equal at 192 examples)"


def test_an_equality_that_holds_only_up_to_a_constant_is_weakened_in_the_right_variables():
    wide = replace(CI, hints_shown=10, hint_checks=10, hint_screens=40)  # every edit that holds, not the first two
    r = _check(Equal(sp.log(sigmoid(x)) + y, -softplus(-x)), wide)  # off by y: a constant in x, not in y
    assert r.status == "refuted"
    edits = [h["edit"] for h in r.hints]
    assert "= weakened to equality up to a constant in x" in edits
    assert "= weakened to equality up to a constant in y" not in edits


def test_the_diagnosis_never_changes_a_verdict(diagnosed):
    off = replace(CI, diagnose=False)
    fields = ("status", "method", "samples", "counterexample", "values", "reason", "final", "crosschecked")
    for name, true, planted in PLANTED:
        good, bad, _ = diagnosed[name]
        for claim, on in ((true, good), (planted, bad)):
            without = _check(claim, off)
            assert [getattr(without, f) for f in fields] == [getattr(on, f) for f in fields], name


SIGN_ERROR = """
import sympy as sp
from verify import Derivation, Equal, Inequality, Source, Step, var
from verify.domains import POSITIVE

p = var("p", POSITIVE)
q = var("q", POSITIVE)

derivation = Derivation(
    id="signs",
    title="a sign error and a true step",
    source=Source("notes.md", "(1)"),
    steps=[
        Step("log_quotient_sign", Equal(sp.log(p / q), sp.log(p) + sp.log(q)), "a planted sign error"),
        Step("am_gm", Inequality(p + 1 / p, ">=", 2), "needs p > 0"),
    ],
)
"""


def _steps(data: dict) -> dict:
    return {s["id"]: s for d in data["derivations"] for s in d["steps"]}


def test_hints_and_ledgers_are_cached_with_the_verdict_and_turned_off_per_setting(tmp_path):
    from tests.test_cache import cli, make_package

    make_package(tmp_path, signs=SIGN_ERROR)
    cache = str(tmp_path / "cache")
    cold, first = cli(tmp_path, "--cache-dir", cache)
    warm, second = cli(tmp_path, "--cache-dir", cache)
    assert cold.returncode == warm.returncode == 1
    a, b = _steps(first), _steps(second)
    assert a["log_quotient_sign"]["hints"][0] == {
        **a["log_quotient_sign"]["hints"][0],
        "edit": "negated term log(q) in the rhs",
        "status": "proved",
    }
    assert [e["verdict"] for e in a["am_gm"]["ledger"]] == ["necessary"]
    assert all(s["cached"] for s in b.values())
    for key in ("hints", "ledger"):
        assert [s.get(key) for s in a.values()] == [s.get(key) for s in b.values()]
    off, third = cli(tmp_path, "--cache-dir", cache, "--no-diagnosis")  # another setting: checked again
    c = _steps(third)
    assert off.returncode == 1 and not any(s["cached"] for s in c.values())
    assert all(s.get("hints") is None and s.get("ledger") is None for s in c.values())
    assert "hint: negated term log(q) in the rhs → proved" in cold.stdout


def test_a_family_is_edited_by_swapping_whole_vectors_never_single_entries():
    def member(k: int) -> Equal:
        a = [var(f"w_A_{i}", POSITIVE) for i in range(1, k + 1)]
        b = [var(f"w_B_{i}", POSITIVE) for i in range(1, k + 1)]
        return Equal(sp.Add(*a) / sp.Add(*b), beta * sp.Add(*a))

    family = ForSizes(member, symbolic=(2, 3), numeric=(4,))
    swaps = [r for r in repairs(family) if r.kind == "swap symbols"]
    words = [r.description for r in swaps]
    assert any("A and B swapped" in w for w in words), words  # the vectors w_A ↔ w_B, entry by entry
    at = {r.description: r.claim.claim(4) for r in swaps}
    for description, claim in at.items():
        names = {s.name for s in claim.lhs.free_symbols | claim.rhs.free_symbols}
        assert names == {f"w_{v}_{i}" for v in "AB" for i in range(1, 5)} | {"beta"}, description
    # no swap of entries i ↔ j (a relabelling of the first member's points, meaningless at size 4)
    assert not any(r.description.startswith(("w^", "w_")) and "swapped" in r.description for r in swaps), words
