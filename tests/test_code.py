"""``verify code`` / ``check_implementation`` on NumPy implementations: correct ones ``ok``, planted bugs
caught by the property that names them, bad input one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verify
from tests.code_examples import numpy_losses as nl
from verify.cli import main
from verify.code import check_implementation
from verify.code.implementation import Implementation
from verify.code.load import CodeInputError
from verify.code.signature import bind

EXAMPLES = Path(__file__).parent / "code_examples"
NUMPY = f"{EXAMPLES / 'numpy_losses.py'}"
IPO_MAP = {"pi_w": "logp_w", "pi_l": "logp_l", "ref_w": "ref_logp_w", "ref_l": "ref_logp_l"}


def _dpo(point: dict[str, float], beta: float) -> float:
    """−log σ(β h), independently of the package (log1p form)."""
    h = (point["logp_w"] - point["ref_logp_w"]) - (point["logp_l"] - point["ref_logp_l"])
    return float(np.log1p(np.exp(-beta * h)))


def _not_ok(report) -> dict[str, str]:
    return {p.id: p.severity for p in report.properties if p.severity in ("warning", "error")}


# ---------------------------------------------------------------- correct implementations


@pytest.mark.parametrize(
    ("fn", "against", "params", "kw"),
    [
        (nl.dpo_loss, "dpo", {"beta": 0.1}, {}),
        (nl.dpo_loss, None, {"beta": 0.1}, {}),
        (nl.ipo_loss, "ipo", {"beta": 0.1}, {"mapping": IPO_MAP}),
        (nl.simpo_loss, "simpo", {"beta": 2.0, "gamma": 0.5}, {}),
        (nl.mean_dpo_loss, "dpo", {"beta": 0.1}, {"reduction": "mean"}),
    ],
)
def test_correct_numpy_implementations_are_ok(fn, against, params, kw):
    report = check_implementation(fn, against, params, **kw)
    assert report.verdict == "ok", _not_ok(report)
    if against:
        assert report.property("formula_values").status == "holds"
        assert report.property("formula_gradient").status == "holds"
    assert report.property("preference_direction").status == "holds"


def test_numpy_function_is_checked_with_numpy_and_finite_differences():
    report = check_implementation(nl.dpo_loss, "dpo", {"beta": 0.1})
    assert report.framework == "numpy"
    assert "finite differences" in report.property("formula_gradient").summary
    assert report.property("gradient_flow").status == "n/a"
    assert report.property("rewards").summary == "chosen and rejected rewards equal β·(policy − reference)"
    assert report.inputs == {
        "logp_w": "policy_chosen_logps",
        "logp_l": "policy_rejected_logps",
        "ref_logp_w": "reference_chosen_logps",
        "ref_logp_l": "reference_rejected_logps",
    }


# ---------------------------------------------------------------- planted bugs


@pytest.mark.parametrize(
    ("fn", "prop", "severity", "verdict"),
    [
        (nl.mutant_sign_flip, "preference_direction", "error", "error"),
        (nl.mutant_swapped_winner, "preference_direction", "error", "error"),
        (nl.mutant_reference_added, "reference_orientation", "error", "error"),
        (nl.mutant_mean, "batch_semantics", "error", "error"),
        (nl.mutant_unstable, "float32_stability", "warning", "warning"),
        # cDPO's smoothing term added with the wrong sign: unbounded below as the loser's log-prob falls
        (nl.mutant_label_smoothing_sign, "bounded_below", "warning", "warning"),
        # centring the margins on the batch mean also makes a lone pair's loss constant: no direction
        (nl.mutant_batch_normalised, "batch_semantics", "warning", "error"),
    ],
)
def test_mutants_caught_without_a_formula(fn, prop, severity, verdict):
    report = check_implementation(fn, params={"beta": 0.1})
    assert report.property(prop).severity == severity
    assert report.verdict == verdict
    if fn is nl.mutant_batch_normalised:
        assert "changing example 0's chosen_logps changes example 1's loss" in report.property(prop).summary


@pytest.mark.parametrize(
    ("fn", "wrong", "diagnosis"),
    [
        (nl.mutant_sign_flip, "logp_w", "sign flipped (equivalently winner and loser swapped)"),
        (nl.mutant_swapped_winner, "logp_w", "no gradient flows (detached or not used)"),
        (nl.mutant_reference_added, "ref_logp_w", "sign flipped relative to ∂L/∂logp_w"),
        (nl.mutant_beta_placement, "ref_logp_l", "a factor 1/β relative to ∂L/∂logp_w"),
    ],
)
def test_mutants_against_the_formula_name_the_wrong_gradient(fn, wrong, diagnosis):
    report = check_implementation(fn, "dpo", {"beta": 0.1})
    values, grads = report.property("formula_values"), report.property("formula_gradient")
    assert values.severity == grads.severity == "error"
    assert grads.details["wrong"][wrong].startswith(diagnosis)
    assert diagnosis in grads.summary and diagnosis in values.summary
    # the shrunk counterexample is one example; recompute both sides independently
    ce = values.counterexample
    point = {k: v for k, v in ce.point.items() if k != "beta"}
    code = fn(**{name: np.array([point[k]]) for k, name in report.inputs.items()}, beta=0.1)
    assert ce.value("L (code)") == pytest.approx(float(np.asarray(code)[0]), rel=1e-12)
    assert ce.value("L (dpo)") == pytest.approx(_dpo(point, 0.1), rel=1e-9)
    assert abs(ce.value("L (code)") - ce.value("L (dpo)")) > 1e-3
    assert all(float(v).is_integer() or round(v, 1) == v for v in point.values())  # shrunk to simple inputs


def test_beta_placement_passes_the_formula_free_properties_but_not_the_formula():
    free = check_implementation(nl.mutant_beta_placement, params={"beta": 0.1})
    assert free.verdict == "ok"  # β on the policy term only keeps direction and orientation
    assert check_implementation(nl.mutant_beta_placement, "dpo", {"beta": 0.1}).verdict == "error"


def test_unstable_log_sigmoid_breaks_where_float32_exp_overflows():
    p = check_implementation(nl.mutant_unstable, params={"beta": 0.1}).property("float32_stability")
    margin = float(p.details["breaks at"])
    limit = float(np.log(np.finfo(np.float32).max))  # exp(x) is inf in float32 beyond ≈ 88.72
    assert -1.05 * limit < margin < -limit
    assert p.counterexample.value("L (float32)") == float("inf")
    assert p.counterexample.value("L (float64)") == pytest.approx(-margin, rel=1e-6)


def test_mean_is_accepted_when_declared_and_per_example_is_then_an_error():
    assert check_implementation(nl.mutant_mean, params={"beta": 0.1}, reduction="mean").verdict == "ok"
    report = check_implementation(nl.dpo_loss, params={"beta": 0.1}, reduction="mean")
    assert report.property("batch_semantics").severity == "error"


# ---------------------------------------------------------------- binding


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(4)), beta=st.floats(0.01, 5.0), seed=st.integers(0, 2**16))
def test_arguments_bind_by_name_in_any_order(order, beta, seed):
    names = ["chosen_logps", "rejected_logps", "ref_chosen_logps", "ref_rejected_logps"]
    shuffled = [names[i] for i in order]
    namespace: dict = {"np": np}
    exec(
        f"def f({', '.join(shuffled)}, beta):\n"
        "    h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)\n"
        "    return np.logaddexp(0.0, -beta * h)\n",
        namespace,
    )
    binding = bind(namespace["f"], {"beta": beta})
    impl = Implementation(namespace["f"], binding)
    rng = np.random.default_rng(seed)
    batch = {k: -rng.uniform(1, 50, 5) for k in ("logp_w", "logp_l", "ref_logp_w", "ref_logp_l")}
    got = impl.losses(batch)
    want = [_dpo({k: v[i] for k, v in batch.items()}, beta) for i in range(5)]
    assert got == pytest.approx(want, rel=1e-12)


def test_api_is_exported_from_the_package():
    assert verify.check_implementation is check_implementation


# ---------------------------------------------------------------- command line


def test_cli_json_and_exit_codes(capsys):
    assert main(["code", f"{NUMPY}:dpo_loss", "--against", "dpo", "--param", "beta=0.1", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "code" and doc["verdict"] == "ok" and doc["schema"] == 1
    (loss,) = doc["losses"]
    assert loss["framework"] == "numpy" and loss["against"] == "dpo"
    assert [p["id"] for p in loss["properties"]][:6] == [
        "formula_values",
        "formula_gradient",
        "wide_margins",
        "formula_values_at_another_beta",
        "preference_direction",
        "reference_orientation",
    ]
    assert main(["code", f"{NUMPY}:mutant_sign_flip", "--param", "beta=0.1", "--json", "-"]) == 1
    doc = json.loads(capsys.readouterr().out)
    bad = next(p for p in doc["losses"][0]["properties"] if p["id"] == "preference_direction")
    assert bad["severity"] == "error" and len(bad["counterexample"]["evaluations"]) == 2
    assert main(["code", f"{NUMPY}:mutant_unstable", "--param", "beta=0.1", "--quiet"]) == 0  # a warning


BETA_SLIPS = """
import numpy as np

BETA = 0.1


def hard_coded_beta(logp_w, logp_l, ref_logp_w, ref_logp_l, beta=0.1):
    h = (logp_w - ref_logp_w) - (logp_l - ref_logp_l)
    return np.logaddexp(0.0, -BETA * h)  # ignores its beta argument


def ipo_target_precedence(logp_w, logp_l, ref_logp_w, ref_logp_l, beta=1.0):
    h = (logp_w - ref_logp_w) - (logp_l - ref_logp_l)
    return (h - 1 / 2 * beta) ** 2  # β/2 where IPO has 1/(2β): equal at β = 1


def ipo(logp_w, logp_l, ref_logp_w, ref_logp_l, beta=1.0):
    h = (logp_w - ref_logp_w) - (logp_l - ref_logp_l)
    return (h - 1 / (2 * beta)) ** 2


def robust_hard_coded_beta(logp_w, logp_l, ref_logp_w, ref_logp_l, beta=0.1, eps=0.25):
    h = (logp_w - ref_logp_w) - (logp_l - ref_logp_l)
    loss = (1 - eps) * np.logaddexp(0.0, -BETA * h) - eps * np.logaddexp(0.0, BETA * h)
    return loss / (1 - 2 * eps)  # ε doubled is 1/2, where the formula is undefined


def refuses_large_beta(logp_w, logp_l, ref_logp_w, ref_logp_l, beta=0.1):
    assert beta < 0.15, "beta too large"
    return np.logaddexp(0.0, -beta * ((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))


def logsigmoid_of_minus(logp_w, logp_l, ref_logp_w, ref_logp_l, beta=0.1):
    h = (logp_w - ref_logp_w) - (logp_l - ref_logp_l)
    return -np.logaddexp(0.0, beta * h)  # "−logsigmoid(x)" misremembered as logsigmoid(−x)
"""


@pytest.mark.parametrize(
    ("fn", "against", "code", "prop"),
    [
        ("hard_coded_beta", "dpo", 1, "formula_values_at_another_beta"),
        ("ipo_target_precedence", "ipo", 1, "formula_values_at_another_beta"),
        ("ipo", "ipo", 0, None),
        # the formula's other hyperparameters doubled would be undefined (ε = 1/2): the error stands, no crash
        ("robust_hard_coded_beta", "robust", 1, "formula_values_at_another_beta"),
        ("refuses_large_beta", "dpo", 0, None),  # it cannot be called at 2β: that row is n/a
        # without a formula: with the winner preferred, its expected loss falls without limit toward the loser
        ("logsigmoid_of_minus", None, 1, "bounded_below"),
    ],
)
def test_slips_that_agree_at_one_beta_or_only_in_expectation_are_errors(tmp_path, capsys, fn, against, code, prop):
    path = tmp_path / "beta_slips.py"
    path.write_text(BETA_SLIPS, encoding="utf-8")
    argv = ["code", f"{path}:{fn}", "--json", "-", *(["--against", against] if against else [])]
    assert main(argv) == code
    props = {p["id"]: p for p in json.loads(capsys.readouterr().out)["losses"][0]["properties"]}
    errors = [k for k, p in props.items() if p["severity"] == "error"]
    assert errors == ([prop] if prop else []), errors
    if prop == "formula_values_at_another_beta":  # it agrees at its own β; at 2β the values differ
        assert props["formula_values"]["severity"] == "ok"
        ce = props[prop]["counterexample"]
        code_value, formula_value = (e["value"] for e in ce["evaluations"])
        assert abs(code_value - formula_value) > 1e-3 * max(abs(code_value), abs(formula_value))


def test_cli_package_module_form_and_map(capsys):
    argv = ["code", "tests.code_examples.numpy_losses:ipo_loss", "--against", "ipo", "--param", "beta=0.1"]
    argv += [f"--map={k}={v}" for k, v in IPO_MAP.items()]
    assert main([*argv, "--quiet"]) == 0
    assert main(["code", f"{NUMPY}:simpo_loss", "--bind", "beta=2", "--bind", "gamma=0.5", "--against", "simpo"]) == 0
    out = capsys.readouterr().out
    assert "simpo_loss (numpy;" in out and "chosen_logps→logp_w" in out and "verdict: ok" in out


@pytest.mark.parametrize(
    ("spec", "extra", "message"),
    [
        ("missing.py:dpo_loss", [], "file 'missing.py' does not exist"),
        (f"{NUMPY}:nope", [], "has no function 'nope'"),
        ("no_such_package.mod:f", [], "module 'no_such_package.mod' not found"),
        (f"{NUMPY}", [], "is not FILE.py:FUNCTION or package.module:FUNCTION"),
        (f"{NUMPY}:unexpected_signature", [], "argument 'prompts' of unexpected_signature is not a known input"),
        (f"{NUMPY}:raises", [], "raised RuntimeError: CUDA out of memory on a batch of 4"),
        (f"{NUMPY}:returns_nan", [], "returned nan at logp_w="),
        (f"{NUMPY}:wrong_shape", [], "returned losses of shape (4, 1) for a batch of 4"),
        (f"{NUMPY}:dpo_loss", ["--param", "gamma=1"], "--param gamma: neither an argument"),
        (f"{NUMPY}:dpo_loss", ["--map", "x=logp_w"], "--map names x, not an argument"),
        (f"{NUMPY}:dpo_loss", ["--map", "beta=reward"], "'reward' is not one of logp_w"),
        (f"{NUMPY}:dpo_loss", ["--param", "beta"], "write --param NAME=VALUE"),
        (f"{NUMPY}:dpo_loss", ["--against=-logsigmoid(beta*(logp_w-logp_l)-g)"], "uses g without a value"),
        (f"{NUMPY}:ipo_loss", ["--against", "ipo"], "argument 'pi_w' of ipo_loss is not a known input"),
        # compared with a formula undefined everywhere, every implementation passed "at 0 fuzzed examples"
        (
            f"{NUMPY}:dpo_loss",
            ["--param", "beta=0.1", "--against=-logsigmoid(beta*(log1mexp(-logp_w) - log1mexp(-logp_l)))"],
            "is not a finite real number on any fuzzed batch",
        ),
        (f"{NUMPY}:dpo_loss", ["--param", "beta=inf"], "beta=inf must be a positive finite number"),
        # a hyperparameter where the formula divides by zero was an internal error (KeyError: 'ComplexInfinity')
        (
            f"{NUMPY}:dpo_loss",
            ["--against", "robust", "--param", "eps=0.5"],
            "--against 'robust': at eps=1/2 the loss is undefined",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_runs(capsys, spec, extra, message):
    assert main(["code", spec, *extra]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and message in out.err, out.err


def test_bad_file_import_is_one_line(tmp_path, capsys):
    bad = tmp_path / "broken.py"
    bad.write_text("import numpy as np\nraise ImportError('no module named flash_attn')\n", encoding="utf-8")
    assert main(["code", f"{bad}:loss"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "importing" in err and "ImportError: no module named flash_attn" in err


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import sys\nsys.exit(0)\n", "importing"),  # a script's unguarded sys.exit(0) at import
        ("def loss(logp_w, logp_l):\n    raise SystemExit(0)\n", "raised SystemExit: 0 on a batch of 4"),
        ("def loss(logp_w, logp_l):\n    raise KeyboardInterrupt\n", "raised KeyboardInterrupt on a batch of 4"),
    ],
    ids=["exit-at-import", "exit-in-the-function", "interrupt-in-the-function"],
)
def test_the_codes_own_exit_is_its_error_not_a_silent_pass(tmp_path, capsys, source, message):
    """``sys.exit(0)`` in the user's file or function ended the check with exit 0 and no output."""
    path = tmp_path / "exits.py"
    path.write_text(source, encoding="utf-8")
    assert main(["code", f"{path}:loss", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("return (logp_w - logp_l).astype(complex)", "returned complex losses"),  # was cast to float: imag dropped
        ("return [float(v) for v in logp_l - logp_w]", "returned a list of numbers"),  # was split as a tuple
    ],
    ids=["complex", "list"],
)
def test_a_return_that_is_not_real_per_example_losses_is_named(tmp_path, capsys, body, message):
    path = tmp_path / "returns.py"
    path.write_text(f"import numpy as np\n\n\ndef loss(logp_w, logp_l):\n    {body}\n", encoding="utf-8")
    assert main(["code", f"{path}:loss", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_api_raises_one_line_errors():
    with pytest.raises(CodeInputError, match="reduction='sum' must be one of none, mean"):
        check_implementation(nl.dpo_loss, reduction="sum")
    with pytest.raises(CodeInputError, match="the formula uses beta; give --param beta"):
        check_implementation(nl.ipo_loss, "ipo", mapping=IPO_MAP)
    # a name that is not in the catalog is not read as an expression of one unknown hyperparameter
    with pytest.raises(CodeInputError, match="'DPO' is not a catalog loss; did you mean 'dpo'"):
        check_implementation(nl.dpo_loss, "DPO", {"beta": 0.1})
    with pytest.raises(CodeInputError, match="'cpo' is not a catalog loss; choose one of dpo"):
        check_implementation(nl.dpo_loss, "cpo", {"beta": 0.1})


@settings(max_examples=20, deadline=None)
@given(
    beta=st.floats(0.05, 5.0).filter(lambda b: not 0.75 < b < 1.3),
    factor=st.sampled_from(["sign flipped", "a factor β", "a factor 1/β"]),
)
def test_a_scaled_loss_has_its_gradient_factor_named(beta, factor):
    from verify.code.batches import random_batch
    from verify.code.compare import formula_gradient
    from verify.code.formula import resolve

    k = {"sign flipped": -1.0, "a factor β": beta, "a factor 1/β": 1 / beta}[factor]

    def scaled(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
        h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
        return k * np.logaddexp(0.0, -beta * h)

    impl = Implementation(scaled, bind(scaled, {"beta": beta}))
    impl.validate(random_batch(4, beta, seed=1))
    formula, _ = resolve("dpo", {})
    wrong = formula_gradient(impl, formula, beta).details["wrong"]
    assert set(wrong) == {"logp_w", "logp_l", "ref_logp_w", "ref_logp_l"}
    assert all(why.startswith(factor) for why in wrong.values()), wrong


def test_a_param_written_as_a_fraction_is_the_number_it_denotes(capsys):
    """``--param beta=1/10`` was "not a number" (and a function's own argument received the string "1/10");
    ``verify loss`` reads 1/10 as 0.1, and so does ``verify code`` now."""
    assert main(["code", f"{NUMPY}:dpo_loss", "--against", "dpo", "--param", "beta=1/10", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["losses"][0]["params"]["beta"] == "0.1"
