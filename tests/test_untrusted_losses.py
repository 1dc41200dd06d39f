"""``verify loss`` on hostile input: numbers and powers that would never finish, hyperparameters
beyond what the checker resolves, YAML alias bombs and a CPU budget per loss. Each is one line on
stderr, exit 2, quickly."""

from __future__ import annotations

import time

import pytest

from verify.cli import main

DPO = " -logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
SIMPO = " -logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)"


def _refused(capsys, argv: list[str]) -> str:
    start = time.process_time()
    code = main(argv)
    spent = time.process_time() - start
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert spent < 10, f"refusing took {spent:.1f} CPU seconds"
    return err


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("9**9**9", "9**9 is larger than 1e+06 in magnitude"),
        ("exp(10**10**10)", "10**10 is larger than 1e+06 in magnitude"),
        ("10**5000", "exponent 5000 is larger than 64 in magnitude"),
        ("logp_w**(10**9)", "10**9 is larger than 1e+06 in magnitude"),
        ("logp_w**100", "exponent 100 is larger than 64 in magnitude"),
        ("1e400*logp_w", "a constant is not a finite number (too large for a float)"),
        ("1e7*logp_w", "constant 10000000.0 is larger than 1e+06 in magnitude"),
        ("12345678901234567890*logp_w", "constant of 20 digits is larger than 1e+06 in magnitude"),
        ("Max(" + ",".join(f"logp_w*{i}" for i in range(1, 151)) + ")", "Max() takes 2 to 16 argument(s), got 150"),
    ],
)
def test_expressions_beyond_the_budget_are_refused(capsys, expr, message):
    err = _refused(capsys, ["loss", " " + expr])
    assert message in err


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("gamma=1e5000", "|value| must be at most 1e+06"),
        ("gamma=1e12", "|value| must be at most 1e+06"),
        ("gamma=-1e12", "|value| must be at most 1e+06"),
        ("gamma=1/0", "the value is undefined (division by zero)"),
        ("gamma=inf", "the value must be a finite number"),
    ],
)
def test_hyperparameters_beyond_the_budget_are_refused(capsys, param, message):
    err = _refused(capsys, ["loss", SIMPO, "--param", param])
    assert err.startswith(f"verify: --param gamma='{param.split('=')[1]}': {message}")


@pytest.mark.parametrize(
    ("expr", "params"),
    [
        (SIMPO, ["--param", "gamma=1e6"]),
        (SIMPO, ["--param", "gamma=5e5"]),
        (" ((logp_w - ref_logp_w) - (logp_l - ref_logp_l) - 1/(2*beta))**2", []),
        (" -logsigmoid(beta*(logp_w - logp_l)) + 0.5*Max(0, 1 - beta*(logp_w - logp_l), -1)", []),
    ],
)
def test_inputs_inside_the_budget_are_still_checked(capsys, expr, params):
    assert main(["loss", expr, *params, "--quiet"]) == 0, capsys.readouterr().err


def test_a_loss_over_the_time_limit_is_refused_with_the_reason(capsys):
    err = _refused(capsys, ["loss", DPO, "--time-limit", "0.01"])
    assert err == (
        f"verify: loss {DPO!r}: checking took more than 0.01 CPU seconds (--time-limit); "
        "simplify the expression or raise the limit\n"
    )
    assert main(["loss", DPO, "--quiet"]) == 0  # the same loss within the default limit


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_time_limit_that_is_not_a_positive_number_is_refused(capsys, value):
    assert "--time-limit" in _refused(capsys, ["loss", DPO, "--time-limit", value])


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path, capsys):
    pytest.importorskip("yaml")
    lines = ['a0: &a0 ["-logsigmoid(beta*(logp_w-logp_l))"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]  # 9**9 strings
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    err = _refused(capsys, ["loss", str(path)])
    assert err == f"verify: {path}:2: YAML aliases (*name) are not allowed in a variant file; write each value out\n"


def test_a_huge_variant_file_is_refused_unread(tmp_path, capsys):
    path = tmp_path / "huge.toml"
    path.write_text("# padding\n" * 200_000)
    err = _refused(capsys, ["loss", str(path)])
    assert "is larger than 1,000,000 bytes; split it" in err
