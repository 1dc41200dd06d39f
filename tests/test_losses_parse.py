"""The loss parser accepts the documented language and rejects everything else without executing it."""

from __future__ import annotations

import builtins
import re

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.cli import main
from verify.errors import UsageError
from verify.functions import logsigmoid, rewrite_special, sigmoid, softplus
from verify.losses.parse import CANONICAL, LossSyntaxError, parse_expression, parse_loss, parse_params

MALICIOUS = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "logp_w.__class__",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "lambda x: x",
    "eval('1')",
    "exec('import os')",
    "open('{marker}', 'w')",
    "getattr(logp_w, 'real')",
    "sigmoid.__globals__",
    "[logp_w for logp_w in range(3)]",
    "logp_w if beta else logp_l",
    "f'{{logp_w}}'",
    "'text'",
    "logp_w; import os",
    "import os",
    "__builtins__",
    "sigmoid(x=1)",
    "sigmoid(*[1])",
    "logp_w < 0",
    "logp_w and logp_l",
    "logp_w @ logp_l",
    "{{1: 2}}",
    "",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_rejected_and_nothing_executed(text, tmp_path, monkeypatch):
    marker = tmp_path / "executed"
    text = text.format(marker=marker)
    called = []
    real_import = builtins.__import__

    def spy(name, *a, **k):
        if name in ("os", "subprocess"):
            called.append(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", spy)
    with pytest.raises(LossSyntaxError) as exc:
        parse_expression(text)
    monkeypatch.setattr(builtins, "__import__", real_import)
    assert not marker.exists() and not called
    assert "\n" not in str(exc.value)


def test_cli_rejects_injection_with_exit_2(tmp_path, capsys):
    marker = tmp_path / "pwned"
    assert main(["loss", f"__import__('os').system('touch {marker}')"]) == 2
    err = capsys.readouterr().err
    assert not marker.exists()
    assert err.count("\n") == 1 and err.startswith("verify: loss expression")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("logp_w.real", "attribute access"),
        ("lambda x: x", "lambda functions are not allowed"),
        ("x[0]", "subscripts"),
        ("__class__", "'__class__' is not allowed"),
        ("foo(logp_w)", "unknown function 'foo'"),
        ("sigmoid(logp_w, logp_l)", "takes 1 argument"),
        ("logp_w +", "syntax error"),
        ("logp_w/0", "division by zero"),
    ],
)
def test_messages_say_what_is_wrong(text, message):
    with pytest.raises(LossSyntaxError, match=message):
        parse_expression(text)


def test_canonical_and_hyperparameter_names():
    expr, hyper = parse_expression("beta*gamma + lambda*eps - delta + logp_w/len_w")
    assert set(hyper) == {"gamma", "lambda", "eps", "delta"}
    for name in hyper:
        assert isinstance(hyper[name], sp.Symbol)  # never SymPy's gamma function, etc.
    assert CANONICAL["beta"] in expr.free_symbols and CANONICAL["beta"].is_positive
    assert not expr.has(sp.gamma)


def test_functions_and_power():
    expr, _ = parse_expression("sigmoid(logp_w) + logsigmoid(logp_l) + softplus(beta) + relu(logp_w) + beta^2")
    a, b, beta = CANONICAL["logp_w"], CANONICAL["logp_l"], CANONICAL["beta"]
    assert expr == sigmoid(a) + logsigmoid(b) + softplus(beta) + sp.Max(a, 0) + beta**2
    one_minus, _ = parse_expression("log1mexp(logp_w) + Max(logp_w, logp_l, 0)")
    assert one_minus == sp.log(1 - sp.exp(a)) + sp.Max(a, b, 0)


def test_params():
    assert parse_params(["gamma=0.5", "lambda = 1/3"]) == {"gamma": sp.Rational(1, 2), "lambda": sp.Rational(1, 3)}
    for bad, message in [
        (["gamma"], "has no value"),
        (["gamma="], "has no value"),
        (["gamma=abc"], "finite number"),
        (["gamma=nan"], "finite number"),
        (["beta=1"], "canonical variable"),
        (["__x=1"], "not a valid"),
        (["g=1", "g=2"], "given twice"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_params(bad)


_LEAVES = st.sampled_from(["logp_w", "logp_l", "ref_logp_w", "ref_logp_l", "beta", "len_w", "2", "0.5"])


def _trees(children):
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*"]), children, children).map(lambda t: f"({t[1]} {t[0]} {t[2]})"),
        st.tuples(st.sampled_from(["sigmoid", "logsigmoid", "softplus", "exp"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        children.map(lambda c: f"-{c}"),
    )


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.recursive(_LEAVES, _trees, max_leaves=6))
def test_parser_agrees_with_direct_sympy(text):
    """The parsed tree equals the same text built with SymPy objects directly (trusted inputs only)."""
    expr, _ = parse_expression(text)
    names = {**CANONICAL, "sigmoid": sigmoid, "logsigmoid": logsigmoid, "softplus": softplus, "exp": sp.exp}
    expected = sp.sympify(text, locals=names)
    point = {s: v for s, v in zip(CANONICAL.values(), (-1.3, -2.1, -0.7, -3.3, 0.6, 7, 11), strict=True)}
    got, want = (complex(rewrite_special(e).subs(point).evalf(30)) for e in (expr, expected))
    assert abs(got - want) <= 1e-20 * max(1.0, abs(want))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-logsigmoid(beta*(logp_w - logp_l)))", "')' closes nothing at column 36"),
        ("-logsigmoid(beta*(logp_w - logp_l)", "'(' is never closed at column 12"),
        ("-logsigmoid(beta*(logp_w - logp_l])", "']' closes a bracket of another kind at column 34"),
    ],
)
def test_an_unbalanced_bracket_is_named_with_its_column(text, message):
    # the tokenizer said "EOF in multi-line statement" for each
    with pytest.raises(LossSyntaxError, match=re.escape(message)):
        parse_loss(text)
