"""Names people paste from code (aliases, definitions) and the command-line traps of ``verify loss``."""

from __future__ import annotations

import io
import json

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tests.losses_support import assert_counterexample_shows_violation
from verify.cli import main
from verify.functions import rewrite_special
from verify.losses import check_loss
from verify.losses.aliases import PREFIXES, VARIABLES
from verify.losses.parse import CANONICAL, LossSyntaxError, parse_expression, parse_loss
from verify.render.loss import LossTable

DPO = "-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
W, L, RW_, RL_, BETA = (CANONICAL[n] for n in ("logp_w", "logp_l", "ref_logp_w", "ref_logp_l", "beta"))


def same(a: str, b: str) -> bool:
    diff = rewrite_special(parse_expression(a)[0] - parse_expression(b)[0])
    return sp.simplify(diff.rewrite(sp.exp)) == 0


# ---------------------------------------------------------------- aliases


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_module_prefix_is_stripped_and_reported(prefix):
    parsed = parse_loss(f"-{prefix}.logsigmoid(beta*(logp_w - logp_l))")
    assert parsed.expr == parse_expression("-logsigmoid(beta*(logp_w - logp_l))")[0]
    assert f"{prefix}.logsigmoid → logsigmoid" in parsed.aliases


def test_self_attribute_is_a_name():
    parsed = parse_loss("-logsigmoid(self.beta*(logp_w - logp_l) - self.gamma)")
    assert set(parsed.hyperparameters) == {"gamma"} and "self.beta → beta" in parsed.aliases


@given(st.sampled_from(["", *(p + "." for p in PREFIXES)]), st.sampled_from(["sigmoid", "logsigmoid", "exp", "tanh"]))
@settings(max_examples=40, deadline=None)
def test_any_prefix_on_any_function_parses_as_the_plain_call(prefix, fname):
    assert parse_expression(f"{prefix}{fname}(beta*logp_w)")[0] == parse_expression(f"{fname}(beta*logp_w)")[0]


def test_mean_is_dropped_and_other_methods_are_not():
    parsed = parse_loss(f"({DPO}).mean()")
    assert parsed.expr == parse_expression(DPO)[0]
    assert any(a.startswith(".mean() dropped") for a in parsed.aliases)
    for method in ("sum", "detach", "float", "squeeze"):
        assert parse_expression(f"({DPO}).{method}()")[0] == parse_expression(DPO)[0]
    assert parse_expression(f"torch.mean({DPO})")[0] == parse_expression(DPO)[0]
    for text in ("logp_w.sum(-1)", "logp_w.mean(0)", "logp_w.real", "os.system('ls')", "logp_w.foo()"):
        with pytest.raises(LossSyntaxError, match="attribute access"):
            parse_expression(text)


@pytest.mark.parametrize(
    ("text", "plain", "note"),
    [
        ("log_sigmoid(logp_w)", "logsigmoid(logp_w)", "log_sigmoid → logsigmoid"),
        ("max(logp_w, logp_l)", "Max(logp_w, logp_l)", "max → Max"),
        ("min(logp_w, logp_l)", "Min(logp_w, logp_l)", "min → Min"),
        ("maximum(logp_w, logp_l)", "Max(logp_w, logp_l)", "maximum → Max"),
        ("minimum(logp_w, logp_l)", "Min(logp_w, logp_l)", "minimum → Min"),
        ("fabs(logp_w)", "abs(logp_w)", "fabs → abs"),
        ("clamp(logp_w, -3, -1)", "Min(Max(logp_w, -3), -1)", "clamp(x, lo, hi) → Min(Max(x, lo), hi)"),
        ("torch.clamp(1 - beta*logp_w, min=0)", "relu(1 - beta*logp_w)", "clamp(x, lo, hi) → Min(Max(x, lo), hi)"),
        ("clamp(logp_w, max=-1)", "Min(logp_w, -1)", "clamp(x, lo, hi) → Min(Max(x, lo), hi)"),
        ("np.clip(logp_w, a_min=-3, a_max=-1)", "Min(Max(logp_w, -3), -1)", "clip(x, lo, hi) → Min(Max(x, lo), hi)"),
        ("expm1(logp_w)", "exp(logp_w) - 1", "expm1(x) → exp(x) - 1"),
        ("pow(logp_w, 3)", "logp_w**3", "pow(x, y) → x**y"),
        ("square(logp_w)", "logp_w**2", "square(x) → x**2"),
    ],
)
def test_function_aliases(text, plain, note):
    parsed = parse_loss(text)
    assert sp.simplify(parsed.expr - parse_expression(plain)[0]) == 0
    assert note in parsed.aliases


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clamp(logp_w)", "at least one of min, max"),
        ("clamp(logp_w, lo=0)", "min=/max="),
        ("pow(logp_w)", "takes 2 argument"),
        ("max(logp_w)", "takes 2 to 16 argument"),
        ("torch.__class__", "not allowed"),
        ("F.eval('1')", "unknown function 'eval'"),
    ],
)
def test_function_alias_misuse_is_one_line(text, message):
    with pytest.raises(LossSyntaxError, match=message) as exc:
        parse_expression(text)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("text", "plain", "note"),
    [
        ("β*logp_w", "beta*logp_w", "β → beta"),
        ("γ + logp_w", "gamma + logp_w", "γ → gamma"),
        ("λ*logp_w", "lambda*logp_w", "λ → lambda"),
        ("ε*logp_w", "eps*logp_w", "ε → eps"),
        ("η*logp_w", "eta*logp_w", "η → eta"),
        ("τ*logp_w", "tau*logp_w", "τ → tau"),
        ("σ(logp_w)", "sigmoid(logp_w)", "σ → sigmoid"),
        ("σ*logp_w", "sigma*logp_w", "σ → sigma"),
        ("logp_w \u2212 logp_l", "logp_w - logp_l", "− (U+2212) → -"),
        ("2×logp_w", "2*logp_w", "× (U+00D7) → *"),
        ("2·logp_w", "2*logp_w", "· (U+00B7) → *"),
    ],
)
def test_greek_letters_and_unicode_operators(text, plain, note):
    parsed = parse_loss(text)
    assert parsed.expr == parse_expression(plain)[0] and note in parsed.aliases


def test_unknown_unicode_name_says_what_is_allowed():
    with pytest.raises(LossSyntaxError, match="Greek letters such as"):
        parse_expression("ä*logp_w")


def test_e_and_pi_are_constants_not_hyperparameters():
    parsed = parse_loss("e*logp_w + pi*logp_l + π")
    assert parsed.hyperparameters == {}
    assert parsed.expr == sp.E * W + sp.pi * L + sp.pi
    assert any(a.startswith("e → the constant e = 2.71828") for a in parsed.aliases)


@pytest.mark.parametrize("name", list(VARIABLES))
def test_trl_variable_names(name):
    parsed = parse_loss(name)
    assert parsed.hyperparameters == {} and f"{name} → {VARIABLES[name]}" in parsed.aliases
    assert parsed.expr == parse_expression(VARIABLES[name])[0]


def test_trl_dpo_code_is_dpo():
    trl = "-F.logsigmoid(self.beta * (pi_logratios - ref_logratios)).mean()"
    assert same(trl, DPO)
    assert same("-F.logsigmoid(beta*logits)", DPO)
    assert same("softplus(-(chosen_rewards - rejected_rewards))", DPO)
    assert same(
        "-logsigmoid(beta*((policy_chosen_logps - reference_chosen_logps) - (policy_rejected_logps - "
        "reference_rejected_logps)))",
        DPO,
    )


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("(beta*logp_w).sigmoid()", "sigmoid(beta*logp_w)"),
        ("logp_w.exp() + logp_l.log1p()", "exp(logp_w) + log(1 + logp_l)"),
        ("(logits - 1/(2*beta)).pow(2)", "(logits - 1/(2*beta))**2"),
        ("(1 - beta*logits).clamp(min=0)", "relu(1 - beta*logits)"),
        ("logp_w.abs().sqrt()", "sqrt(abs(logp_w))"),
        ("(-logp_w).relu().square()", "relu(-logp_w)**2"),
    ],
)
def test_tensor_methods_are_calls(text, plain):
    parsed = parse_loss(text)
    assert sp.simplify(parsed.expr - parse_expression(plain)[0]) == 0
    assert any(a.startswith("x.") and "→" in a for a in parsed.aliases)


def test_pasted_trainer_code_with_comments_and_brackets_across_lines():
    code = """chosen_rewards = (chosen_logps - ref_chosen_logps) * self.beta  # implicit rewards
    rejected_rewards = (rejected_logps - ref_rejected_logps) * self.beta
    losses = (
        -F.logsigmoid(chosen_rewards)
        - 0.5 * F.logsigmoid(-chosen_rewards)
        - 0.5 * F.logsigmoid(-rejected_rewards)
    )
    loss = losses.mean()"""
    nca = (
        "-logsigmoid(beta*(logp_w - ref_logp_w)) - 0.5*logsigmoid(-beta*(logp_w - ref_logp_w)) "
        "- 0.5*logsigmoid(-beta*(logp_l - ref_logp_l))"
    )
    assert same(code, nca)
    assert same("x = logp_w - \\\n logp_l; -logsigmoid(beta*x)", "-logsigmoid(beta*(logp_w - logp_l))")
    tau = parse_loss("-logsigmoid(beta*logits/self.args.discopop_tau)")
    assert set(tau.hyperparameters) == {"discopop_tau"}


def test_an_error_in_one_statement_quotes_that_statement():
    with pytest.raises(LossSyntaxError) as exc:
        parse_expression("delta = self.running.mean\nlosses = -logsigmoid(beta*logits - delta)")
    assert str(exc.value).startswith("loss expression 'self.running.mean': not allowed: attribute access")


# ---------------------------------------------------------------- definitions


@pytest.mark.parametrize(
    "text",
    [
        "h = (logp_w - ref_logp_w) - (logp_l - ref_logp_l); loss = -logsigmoid(beta*h)",
        "m = logp_w - ref_logp_w - (logp_l - ref_logp_l)\nL = -logsigmoid(beta*m)",
        "rw = logp_w - ref_logp_w; rl = logp_l - ref_logp_l; z = beta*(rw - rl); -logsigmoid(z)",
    ],
)
def test_definitions_of_intermediates(text):
    parsed = parse_loss(text)
    assert parsed.expr == parse_expression(DPO)[0] and parsed.hyperparameters == {}
    assert parsed.definitions


def test_define_option_and_unused_definition_hyperparameters():
    r = check_loss("-logsigmoid(beta*m)", defines={"m": "logp_w - logp_l", "unused": "kappa*logp_w"})
    assert r.verdict == "ok" and "m = -logp_l + logp_w" in r.aliases
    assert r.understood == "-logsigmoid(beta*(-logp_l + logp_w))"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("logp_w = 1; loss = logp_w", "canonical variable"),
        ("m = logp_w; m = logp_l; loss = m", "defined twice"),
        ("loss = logp_w; m = logp_l", "end with the loss"),
        ("logp_w; logp_l", "is not a definition"),
        ("sigmoid = logp_w; loss = sigmoid", "is a function"),
        ("m = ; loss = m", "has no expression"),
        ("logp_w; import os", "is not a definition"),
        ("m = logp_w; import os", "keyword .import. is not allowed"),
    ],
)
def test_definition_errors(text, message):
    with pytest.raises(LossSyntaxError, match=message):
        parse_expression(text)


def test_missing_intermediate_suggests_define(capsys):
    assert main(["loss", "-logsigmoid(beta*margin)"]) == 2
    err = capsys.readouterr().err
    assert "--param margin=VALUE" in err and "--define margin=EXPR" in err and err.count("\n") == 1


def test_define_on_the_command_line(capsys):
    code = main(["loss", "-logsigmoid(beta*m)", "--define", "m=logp_w - logp_l", "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["losses"][0]["understood"] == "-logsigmoid(beta*(-logp_l + logp_w))"
    assert main(["loss", "-logsigmoid(beta*m)", "--define", "m"]) == 2
    assert "has no expression" in capsys.readouterr().err


# ---------------------------------------------------------------- aliases in the report


def test_aliases_are_shown_as_understood(capsys):
    code = main(["loss", "-F.logsigmoid(β*logits).mean()", "--json", "-"])
    loss = json.loads(capsys.readouterr().out)["losses"][0]
    assert code == 0 and loss["expression"] == "-F.logsigmoid(β*logits).mean()"
    assert loss["understood"] == sp.sstr(parse_expression(DPO)[0])
    assert "F.logsigmoid → logsigmoid" in loss["aliases"] and "β → beta" in loss["aliases"]
    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(LossTable(check_loss("-F.logsigmoid(β*logits)")))
    assert "understood as: L = -logsigmoid(beta*(" in buf.getvalue()


def test_plain_expression_has_no_aliases():
    r = check_loss(DPO)
    assert r.aliases == [] and r.to_json()["aliases"] == []


def test_greek_parameter_names(capsys):
    code = main(["loss", "-logsigmoid(β*(logp_w - logp_l) - γ)", "--param", "γ=0.5", "--json", "-"])
    assert code == 0 and json.loads(capsys.readouterr().out)["losses"][0]["params"] == {"gamma": "0.5"}


# ---------------------------------------------------------------- command-line traps


@pytest.mark.parametrize(
    "argv",
    [
        ["loss", "-logsigmoid(beta*(logp_w-logp_l))", "--json", "-"],
        ["loss", "--json", "-", "-logsigmoid(beta*(logp_w-logp_l))"],
        [
            "loss",
            "-logsigmoid(beta*(logp_w-logp_l))",
            "--claimed-grad",
            "-beta*sigmoid(-beta*(logp_w-logp_l))",
            "--json",
            "-",
        ],
    ],
)
def test_expression_starting_with_minus_is_not_an_option(capsys, argv):
    code = main(argv)
    loss = json.loads(capsys.readouterr().out)["losses"][0]
    assert code == 0 and loss["expression"] == "-logsigmoid(beta*(logp_w-logp_l))" and loss["verdict"] == "ok"


def test_help_still_works(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["loss", "-h"])
    assert exc.value.code == 0 and "--define" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "shown"), [("11/20", "0.55"), ("0.1", "0.1"), ("1/3", "0.3333333333333333"), ("2", "2")]
)
def test_parameters_are_echoed_as_decimals(capsys, value, shown):
    code = main(["loss", "-logsigmoid(beta*(logp_w - logp_l) - gamma)", "--param", f"gamma={value}", "--json", "-"])
    assert code == 0 and json.loads(capsys.readouterr().out)["losses"][0]["params"] == {"gamma": shown}


def test_wrong_sign_claimed_gradient_is_an_error(capsys):
    negated = "beta*sigmoid(-beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"  # the true one has a minus
    code = main(["loss", DPO, "--claimed-grad", negated, "--json", "-"])
    loss = json.loads(capsys.readouterr().out)["losses"][0]
    p = next(p for p in loss["properties"] if p["id"] == "claimed_gradient")
    assert code == 1 and loss["verdict"] == "error" and p["severity"] == "error"
    assert p["summary"].startswith("sign error: the claimed gradient is the negative of the true one")
    r = check_loss(DPO, claimed_grad=negated)
    ce = r.property("claimed_gradient").counterexample
    expr = parse_expression(DPO)[0]
    assert_counterexample_shows_violation(expr, ce, claimed=parse_expression(negated)[0])
    assert ce.value("claimed") == pytest.approx(-ce.value("true"), rel=1e-12)
    # a wrong gradient that is not the negative is wrong too (an error, not a sign error); a zero gradient is
    # never "negated"
    doubled = check_loss(DPO, claimed_grad="2*" + negated).property("claimed_gradient")
    assert doubled.severity == "error" and doubled.summary.startswith("the claimed gradient is wrong")
    zero = check_loss(DPO, claimed_grad="ref_logp_l=0*logp_w").property("claimed_gradient")
    assert zero.severity == "error" and not zero.summary.startswith("sign error")


BATCH = """
[variants.good]
expr = "-F.logsigmoid(beta*logits)"

[variants.bad_syntax]
expr = "-logsigmoid(beta*(logp_w - logp_l)"

[variants.missing_param]
expr = "-logsigmoid(beta*(logp_w - logp_l) - gamma)"

[variants.unknown_key]
expression = "logp_w"

[variants.broken_toml]
expr = "-logsigmoid(beta*h)

[variants.wrong]
expr = "logsigmoid(beta*logits)"

[variants.defined]
expr = "-logsigmoid(beta*m)"
define = { m = "logp_w - logp_l" }
params = {}
"""


def test_batch_with_bad_variants_reports_the_rest(tmp_path, capsys):
    path = tmp_path / "batch.toml"
    path.write_text(BATCH, encoding="utf-8")
    code = main(["loss", str(path), "--json", "-"])
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert code == 2
    assert [x["name"] for x in doc["losses"]] == ["good", "wrong", "defined"]
    assert [x["verdict"] for x in doc["losses"]] == ["ok", "error", "ok"]
    bad = {e["name"]: e["error"] for e in doc["input_errors"]}
    assert set(bad) == {"bad_syntax", "missing_param", "unknown_key", "broken_toml"}
    assert "[variants.broken_toml]" in bad["broken_toml"] and "not valid TOML" in bad["broken_toml"]
    assert "variants.missing_param" in bad["missing_param"] and "--param gamma=VALUE" in bad["missing_param"]
    lines = out.err.splitlines()
    assert len(lines) == 4 and all(line.startswith("verify: ") for line in lines)


def test_toml_error_before_any_section_is_a_file_error(tmp_path, capsys):
    path = tmp_path / "broken.toml"
    path.write_text('title = "x\n[variants.a]\nexpr = "logp_w"\n', encoding="utf-8")
    assert main(["loss", str(path)]) == 2
    err = capsys.readouterr().err
    assert "before the first [variants.NAME] section" in err and err.count("\n") == 1


def test_yaml_batch_with_a_bad_variant(tmp_path, capsys):
    pytest.importorskip("yaml")
    path = tmp_path / "batch.yaml"
    path.write_text(
        "variants:\n  good:\n    expr: '-logsigmoid(beta*logits)'\n  bad:\n    expr: 'foo(logp_w)'\n",
        encoding="utf-8",
    )
    code = main(["loss", str(path), "--json", "-"])
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert code == 2 and [x["name"] for x in doc["losses"]] == ["good"]
    assert "variants.bad" in out.err and "unknown function 'foo'" in out.err
