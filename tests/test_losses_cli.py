"""``python -m verify loss``: exit codes, JSON, variant files, --against, --claimed-grad, rendering."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from tests.losses_support import assert_counterexample_shows_violation, symbolic_loss
from verify.cli import main
from verify.losses import check_loss
from verify.render.loss import LossTable, reports_latex

DPO = "-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
DPO_WRONG = "logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def test_correct_loss_exits_0_with_ok_verdict(capsys):
    code, doc, _ = _json(capsys, ["loss", DPO, "--json", "-"])
    assert code == 0 and doc["verdict"] == "ok" and doc["schema"] == 1
    (loss,) = doc["losses"]
    ids = [p["id"] for p in loss["properties"]]
    assert ids[:2] == ["preference_direction", "reference_orientation"]
    assert all(p["severity"] in ("ok", "info") for p in loss["properties"])
    assert r"\log\sigma" in loss["latex"] and set(loss["gradient_latex"]) == {"logp_w", "logp_l"}


def test_sign_error_exits_1_with_counterexample(capsys):
    code, doc, _ = _json(capsys, ["loss", DPO_WRONG, "--json", "-"])
    assert code == 1 and doc["verdict"] == "error"
    p = doc["losses"][0]["properties"][0]
    assert p["severity"] == "error" and p["counterexample"]["point"]["beta"] > 0
    assert len(p["counterexample"]["evaluations"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["loss"], "loss needs EXPR"),
        (["loss", "-logsigmoid(beta*(logp_w - logp_l) - gamma)"], "gamma without a value; give --param gamma=VALUE"),
        (["loss", "-logsigmoid(beta*(logp_w - logp_l) - gamma)", "--param", "gamma"], "has no value"),
        (["loss", DPO, "--param", "gamma=1"], "not used by the expression"),
        (["loss", DPO, "--against", "nope"], "not a catalog loss"),
        (["loss", DPO, "--claimed-grad", "beta=1"], "not a log-probability variable"),
        (["loss", "--catalog", DPO], "--catalog takes no EXPR"),
        (["loss", "missing.toml"], "does not exist"),
        (["loss", "os.system('ls')"], "attribute access"),
        # 1/(1 − 2ε) at ε = 1/2, log ε at ε = 0: internal errors (KeyError: 'ComplexInfinity') before
        (["loss", "robust", "--param", "eps=0.5"], "at eps=1/2 the loss is undefined"),
        (["loss", "-logsigmoid(beta*h)*log(eps)", "--param", "eps=0"], "at eps=0 the loss is undefined"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_catalog_exits_0(capsys):
    code, doc, _ = _json(capsys, ["loss", "--catalog", "--json", "-"])
    assert code == 0 and doc["verdict"] == "warning"
    names = [loss["name"] for loss in doc["losses"]]
    assert len(names) == 18 and "discopop" in names
    for loss in doc["losses"]:
        assert loss["verdict"] != "error" and loss["source"]
        for p in loss["properties"]:
            if p["severity"] == "warning":
                assert p["id"] in loss["documented"]


def test_a_catalog_name_checks_that_variant(capsys):
    # `verify loss dpo` asked for "--param dpo=VALUE"
    code, doc, _ = _json(capsys, ["loss", "simpo", "--param", "gamma=1", "--json", "-"])
    (loss,) = doc["losses"]
    assert code == 0 and loss["name"] == "simpo" and loss["params"] == {"gamma": "1"} and loss["source"]
    assert loss["expression"] == "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)"


def test_variant_file_toml(tmp_path, capsys):
    path = tmp_path / "variants.toml"
    path.write_text(
        f"""
[variants.mine]
expr = "{DPO}"
against = "dpo"

[variants.scaled]
expr = "2*softplus(-beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l))) + 3"
against = "dpo"

[variants.simpo]
expr = "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)"
params = {{ gamma = 0.5 }}

[variants.broken]
expr = "{DPO_WRONG}"
""",
        encoding="utf-8",
    )
    code, doc, _ = _json(capsys, ["loss", str(path), "--json", "-"])
    assert code == 1 and doc["verdict"] == "error"
    by = {loss["name"]: loss for loss in doc["losses"]}
    assert [by[n]["verdict"] for n in ("mine", "scaled", "simpo", "broken")] == ["ok", "ok", "ok", "error"]
    against = {n: next(p for p in by[n]["properties"] if p["id"] == "against") for n in ("mine", "scaled")}
    assert against["mine"]["summary"].startswith("equal to dpo (proved")
    assert against["scaled"]["summary"].startswith("equal to dpo up to a positive scale (factor 2")


def test_a_power_of_a_loss_function_prints_and_one_undefined_variant_spares_the_others(tmp_path, capsys):
    """sigmoid(x)**2 crashed the LaTeX printer (its _latex took no exp); a variant undefined at its parameters is
    reported by name while the file's other variants are checked."""
    import sympy as sp

    from verify.functions import logsigmoid, sigmoid, softplus

    x = sp.Symbol("x")
    assert sp.latex(sigmoid(x) ** 2) == r"\left(\sigma\left(x\right)\right)^{2}"
    assert sp.latex(softplus(x) ** 3) == r"\left(\operatorname{softplus}\left(x\right)\right)^{3}"
    assert sp.latex(logsigmoid(x)) == r"\log\sigma\left(x\right)"
    path = tmp_path / "variants.toml"
    path.write_text(
        f"""
[variants.good]
expr = "{DPO}"

[variants.brier]
expr = "sigmoid(-beta*h)**2"

[variants.square]
expr = "w = softplus(-beta*h); loss = w*w"

[variants.robust_half]
expr = "((1 - eps)*softplus(-beta*h) - eps*softplus(beta*h))/(1 - 2*eps)"
params = {{ eps = 0.5 }}
""",
        encoding="utf-8",
    )
    code, doc, err = _json(capsys, ["loss", str(path), "--json", "-"])
    assert [loss["name"] for loss in doc["losses"]] == ["good", "brier", "square"]
    assert all(loss["latex"] for loss in doc["losses"])
    assert "variants.robust_half: at eps=1/2 the loss is undefined" in err and code == 2


def test_variant_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[variants.x]\nexpression = 'logp_w'\n", encoding="utf-8")
    assert main(["loss", str(bad)]) == 2
    bad.write_text("not toml [", encoding="utf-8")
    assert main(["loss", str(bad)]) == 2


def test_a_value_for_a_sampled_variable_is_refused_as_such(tmp_path, capsys):
    # a file's `params = { beta = 0.1 }` was told "--param beta is not used by the expression"
    path = tmp_path / "v.toml"
    path.write_text('[variants.x]\nexpr = "-logsigmoid(beta*h)"\nparams = { beta = 0.1 }\n', encoding="utf-8")
    main(["loss", str(path), "--quiet"])
    err = capsys.readouterr().err
    assert "beta is a variable the checker samples" in err and "not used by the expression" not in err


@pytest.mark.parametrize(
    ("expr", "verdict"),
    [
        ("-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l))) + 5", "equal to dpo up to a constant"),
        ("(1 - sigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l))))", "different from dpo"),
        ("-logsigmoid(2*beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))", "different from dpo"),
    ],
)
def test_against(expr, verdict):
    p = check_loss(expr, against="dpo").property("against")
    assert p.summary.startswith(verdict), p.summary
    # a loss named as a variant that is not it fails, as in `verify code --against` (it was a warning: exit 0)
    assert p.severity == ("error" if verdict.startswith("different") else "ok")
    if p.counterexample is not None:  # the two values really differ
        assert abs(p.counterexample.evaluations[0].value - p.counterexample.evaluations[1].value) > 1e-6


SIMPO = "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)"


def test_against_compares_at_the_hyperparameters_given():
    # the catalog's SimPO has γ = 0.5; compared at the γ given, SimPO with γ = 1 is SimPO
    assert check_loss(SIMPO, {"gamma": "1"}, against="simpo").property("against").summary.startswith("equal to simpo")
    fixed = "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - 1)"
    assert check_loss(fixed, {"gamma": "1"}, against="simpo").property("against").summary.startswith("equal")
    # and a γ of the catalog loss that the expression does not match is still a difference
    assert check_loss(fixed, {"gamma": "0.5"}, against="simpo").property("against").summary.startswith("different")


def test_a_param_of_neither_loss_is_refused_naming_both(capsys):
    assert main(["loss", SIMPO, "--param", "gamma=1", "--param", "eps=0.1", "--against", "simpo"]) == 2
    assert "not used by the expression" in capsys.readouterr().err


def test_scaled_ipo_is_equal_up_to_a_positive_scale():
    # three times the IPO loss: the policy gradients are proportional with the constant factor 3
    expr = "((logp_w - ref_logp_w) - (logp_l - ref_logp_l) - 1/(2*beta))**2 * 3"
    p = check_loss(expr, against="ipo").property("against")
    assert "positive scale (factor 3" in p.summary


def test_claimed_gradient_right_and_wrong():
    right = "-beta*sigmoid(-beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
    p = check_loss(DPO, claimed_grad=right).property("claimed_gradient")
    assert p.status == "holds" and "proved" in p.summary
    wrong = "-beta*sigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"  # a classic slip: σ(+βh)
    r = check_loss(DPO, claimed_grad=wrong)
    p = r.property("claimed_gradient")
    assert p.status == "violated" and p.severity == "error" and r.verdict == "error"  # was a warning: exit 0
    claimed = symbolic_loss(wrong, {})
    assert_counterexample_shows_violation(symbolic_loss(DPO, {}), p.counterexample, claimed=claimed)
    q = check_loss(DPO, claimed_grad=f"logp_l={right[1:]}").property("claimed_gradient")
    assert q.status == "holds" and q.title == "claimed ∂L/∂logp_l"


def test_table_renders_at_fixed_width():
    r = check_loss(DPO_WRONG)
    buf = io.StringIO()
    Console(file=buf, width=120, color_system=None).print(LossTable(r))
    text = buf.getvalue()
    assert "preference_direction" in text and "error" in text and "counterexample:" in text
    assert text.rstrip().splitlines()[-1].startswith("verdict: error")
    tex = reports_latex([r])
    assert r"\paragraph{loss}" in tex and r"\frac{\partial \mathcal{L}}" in tex


def test_latex_option(tmp_path):
    out = tmp_path / "loss.tex"
    assert main(["loss", DPO, "--latex", str(out), "--quiet"]) == 0
    assert r"\mathcal{L} = - \log\sigma" in out.read_text(encoding="utf-8")


def test_an_expression_option_whose_value_starts_with_a_minus_is_read_as_that_value(capsys):
    """``--claimed-grad -beta*…`` and ``--against -logsigmoid(…)`` were argparse errors ("expected one
    argument"): a loss expression usually starts with a minus."""
    right = "-beta*sigmoid(-beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
    assert main(["loss", DPO, "--claimed-grad", right, "--quiet"]) == 0
    numpy_losses = Path(__file__).parent / "code_examples" / "numpy_losses.py"
    code = main(
        [
            "code",
            f"{numpy_losses}:dpo_loss",
            "--param",
            "beta=0.1",
            "--quiet",
            "--against",
            "-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))",
        ]
    )
    assert code == 0, capsys.readouterr().err
