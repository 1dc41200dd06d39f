"""``verify code`` on PyTorch implementations written as TRL writes them: correct ones ``ok``, planted
bugs caught by the property that names them; the user guide's worked example reproduced exactly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.code_examples import trl_torch as tt  # noqa: E402
from verify.cli import main  # noqa: E402
from verify.code import check_implementation  # noqa: E402

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"
CPO = "-logsigmoid(beta*(logp_w - logp_l)) - alpha*logp_w/len_w"


def _not_ok(report) -> dict[str, str]:
    return {p.id: p.summary for p in report.properties if p.severity in ("warning", "error")}


@pytest.mark.parametrize(
    ("fn", "against", "params"),
    [
        (tt.dpo_loss, "dpo", {"beta": 0.1}),
        (tt.dpo_loss, "ipo", {"beta": 0.1, "loss_type": "ipo"}),
        (tt.dpo_loss, "hinge", {"beta": 0.1, "loss_type": "hinge"}),
        (tt.dpo_loss, "dpo", {"beta": 2.0}),
        (tt.dpo_loss, "cdpo", {"beta": 0.1, "label_smoothing": 0.1, "eps": 0.1}),
        (tt.legacy_dpo_loss, "dpo", {"beta": 0.5}),
        (tt.simpo_loss, "simpo", {"beta": 2.0, "gamma": 0.5}),
        (tt.cpo_loss, CPO, {"beta": 0.1, "alpha": 1.0}),
        (tt.dpo_loss, None, {"beta": 0.1}),
    ],
)
def test_correct_torch_implementations_are_ok(fn, against, params):
    report = check_implementation(fn, against, params)
    assert report.framework == "torch"
    assert report.verdict == "ok", _not_ok(report)
    assert report.property("gradient_flow").status == "holds"
    if against:
        assert "(autograd for the policy" in report.property("formula_gradient").summary


def test_trl_rewards_are_checked():
    report = check_implementation(tt.dpo_loss, "dpo", {"beta": 0.1})
    assert report.property("rewards").summary == "chosen and rejected rewards equal β·(policy − reference)"
    assert report.bound == {"beta": "0.1", "loss_type": "'sigmoid'", "label_smoothing": "0.0"}


def test_smoothing_that_disagrees_with_the_formula_is_caught():
    report = check_implementation(tt.dpo_loss, "cdpo", {"beta": 0.1, "label_smoothing": 0.2, "eps": 0.1})
    assert report.property("formula_values").severity == "error"
    assert report.property("preference_direction").status == "holds"  # still prefers the winner


@pytest.mark.parametrize(
    ("fn", "prop", "severity", "text"),
    [
        (tt.mutant_sign_flip, "preference_direction", "error", "training pushes the wrong way"),
        (tt.mutant_swapped_reference, "reference_orientation", "error", "wrong orientation"),
        (tt.mutant_reference_added, "reference_orientation", "error", "wrong orientation"),
        (tt.mutant_mean, "batch_semantics", "error", "returns a scalar (the mean of the per-example losses)"),
        (tt.mutant_unstable, "float32_stability", "warning", "in float32 the loss is inf"),
        (tt.mutant_detached, "gradient_flow", "error", "no gradient flows to logp_l"),
        (tt.mutant_swapped_rewards, "rewards", "warning", "chosen and rejected swapped"),
    ],
)
def test_torch_mutants_caught_without_a_formula(fn, prop, severity, text):
    report = check_implementation(fn, params={"beta": 0.1})
    p = report.property(prop)
    assert p.severity == severity and text in p.summary
    assert report.verdict == severity
    others = {k for k in _not_ok(report) if k != prop}
    # only the planted bug is reported (a flipped loss is also a flipped reference orientation, rewards
    # moving toward the loser away from the reference, and a loss falling without limit toward the loser)
    flipped = {"reference_orientation", "off_reference", "bounded_below"}
    assert others == (flipped if fn is tt.mutant_sign_flip else set()), others


@pytest.mark.parametrize(
    ("fn", "against", "params", "wrong", "diagnosis"),
    [
        (tt.mutant_sign_flip, "dpo", {"beta": 0.1}, "logp_l", "sign flipped"),
        (tt.mutant_swapped_reference, "dpo", {"beta": 0.1}, "ref_logp_w", "sign flipped relative to ∂L/∂logp_w"),
        (tt.mutant_detached, "dpo", {"beta": 0.1}, "logp_l", "no gradient flows (detached or not used)"),
        (tt.mutant_beta_placement, "dpo", {"beta": 0.1}, "ref_logp_w", "a factor 1/β relative to ∂L/∂logp_w"),
        (tt.mutant_simpo_length, "simpo", {"beta": 2.0, "gamma": 0.5}, "logp_l", "a factor len_l/len_w"),
    ],
)
def test_torch_mutants_against_the_formula(fn, against, params, wrong, diagnosis):
    report = check_implementation(fn, against, params)
    grads = report.property("formula_gradient")
    assert grads.severity == "error" and grads.details["wrong"][wrong].startswith(diagnosis)
    ce = grads.counterexample
    x = ce.relation[0].removeprefix("dL/d").removesuffix(" (code)")
    # recompute the code's gradient at the counterexample with autograd, independently of the checker
    leaves = {k: torch.tensor([v], dtype=torch.float64, requires_grad=True) for k, v in ce.point.items() if k != "beta"}
    names = report.inputs
    canon = {v: k for k, v in names.items()}
    out = fn(**{names[k]: t for k, t in leaves.items()}, **{k: v for k, v in params.items() if k not in canon})
    losses = out[0] if isinstance(out, tuple) else out
    (g,) = torch.autograd.grad(losses.sum(), [leaves[x]], allow_unused=True)
    exact = x in ("logp_w", "logp_l")  # the reference's derivatives are finite differences
    want = 0.0 if g is None else float(g[0])
    assert ce.value(ce.relation[0]) == pytest.approx(want, rel=1e-12 if exact else 1e-6, abs=1e-12)


def test_float32_implementation_is_judged_at_its_precision():
    report = check_implementation(tt.dpo_loss_float32, "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)
    assert "(float32 results, relative tolerance 0.001)" in report.property("formula_values").summary
    bad = check_implementation(tt.mutant_float32_reference_added, "dpo", {"beta": 0.1})
    assert bad.property("reference_orientation").severity == "error"
    assert bad.property("formula_gradient").details["wrong"]["ref_logp_w"].startswith("sign flipped relative to")


def test_detached_gradient_is_the_only_finding_on_values():
    report = check_implementation(tt.mutant_detached, "dpo", {"beta": 0.1})
    assert report.property("formula_values").status == "holds"  # the values are right; only the gradient is not
    assert report.property("gradient_flow").counterexample.value("dL/dlogp_l (autograd)") == 0.0


def test_unstable_float32_margin_is_where_exp_overflows():
    p = check_implementation(tt.mutant_unstable, params={"beta": 0.1}).property("float32_stability")
    limit = float(np.log(np.finfo(np.float32).max))
    assert -1.05 * limit < float(p.details["breaks at"]) < -limit


# ---------------------------------------------------------------- the worked example of the guide


def _guide_example() -> tuple[str, list[str], str]:
    text = GUIDE.read_text(encoding="utf-8")
    source = re.search(r"```python\n# file: my_dpo\.py\n(.*?)```", text, re.DOTALL).group(1)
    commands = re.search(r"```bash norun\n(python -m verify code my_dpo.*?)```", text, re.DOTALL).group(1)
    output = re.search(r"```text\n(my_dpo\.py:dpo_loss \(torch.*?)```", text, re.DOTALL).group(1)
    return source, commands.strip().splitlines(), output


def _timeless(text: str) -> str:
    return re.sub(r"\(\d+\.\d\ds\)", "(…s)", text)


def test_guide_worked_example_output_is_exact(tmp_path, monkeypatch, capsys):
    import shlex

    source, commands, output = _guide_example()
    (tmp_path / "my_dpo.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    assert len(commands) == 3
    for line in commands:
        argv = shlex.split(line, comments=True)[3:]
        expected = 1 if line.rstrip().endswith("# exit 1") else 0
        assert main(argv) == expected, line
        shown = capsys.readouterr().out
    assert _timeless(shown) == _timeless(output)


def test_a_torch_function_returning_numpy_is_told_to_return_the_tensor(tmp_path, capsys):
    """``.numpy()`` at the end was answered "returned ndarray; return the losses as an array"."""
    path = tmp_path / "to_numpy.py"
    path.write_text(
        "import torch.nn.functional as F\n\n\ndef loss(logp_w, logp_l):\n"
        "    return (-F.logsigmoid(logp_w - logp_l)).detach().numpy()\n",
        encoding="utf-8",
    )
    assert main(["code", f"{path}:loss", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "computes with torch but returned a NumPy array; return the torch result itself" in err, err


def test_a_batch_mean_inside_each_loss_is_named_as_coupling_not_as_a_detached_weight(tmp_path):
    """TRL's old kto_pair takes a batch mean of the KL estimate as the reference point: finite differences
    that move every example at once pick up the other examples' terms, and gradient_flow blamed a detached
    weight (an error). The example alone agrees; batch_semantics names the coupling."""
    path = tmp_path / "kto_batch.py"
    path.write_text(
        "import torch\n\n\ndef kto_pair_loss(policy_chosen_logps, policy_rejected_logps, reference_chosen_logps,\n"
        "                  reference_rejected_logps, beta=0.1):\n"
        "    chosen_kl = (policy_chosen_logps - reference_chosen_logps).mean().clamp(min=0)\n"
        "    rejected_kl = (policy_rejected_logps - reference_rejected_logps).mean().clamp(min=0)\n"
        "    chosen = policy_chosen_logps - reference_chosen_logps\n"
        "    rejected = policy_rejected_logps - reference_rejected_logps\n"
        "    return (1 - torch.sigmoid(beta * (chosen - rejected_kl)))"
        " + (1 - torch.sigmoid(beta * (chosen_kl - rejected)))\n",
        encoding="utf-8",
    )
    from verify.code import check_spec

    report = check_spec(f"{path}:kto_pair_loss", params={"beta": 0.1})
    assert report.property("gradient_flow").severity == "ok", report.property("gradient_flow").summary
    assert report.property("batch_semantics").severity == "warning"
    assert "coupled across the batch" in report.property("batch_semantics").summary
    # a weight really detached is still an error
    assert check_implementation(tt.mutant_detached, params={"beta": 0.1}).property("gradient_flow").severity == "error"


TRAINER_STYLES = """
import torch.nn.functional as F


def cdpo(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1, label_smoothing=0.0):
    h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -(1 - label_smoothing) * F.logsigmoid(beta * h) - label_smoothing * F.logsigmoid(-beta * h)


def item_mean(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return (-F.logsigmoid(beta * h)).mean().item()


def varargs(*args, beta=0.1):
    chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps = args
    return -F.logsigmoid(beta * ((chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)))


class Trainer:
    beta = 0.1

    def dpo_loss(self, chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps):
        h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
        return -F.logsigmoid(self.beta * h)


trainer = Trainer()


def simpo_ratio(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma_beta_ratio=0.25):
    h = chosen_logps / chosen_lengths - rejected_logps / rejected_lengths
    return -F.logsigmoid(beta * (h - gamma_beta_ratio))  # γ = β·ratio: the reference SimPO trainer's form


def self_first(self, chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    return -F.logsigmoid(beta * ((chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)))
"""


def test_trls_label_smoothing_is_the_catalogs_eps(tmp_path, capsys):
    path = tmp_path / "styles.py"
    path.write_text(TRAINER_STYLES, encoding="utf-8")
    # a correct cDPO at ε = 0.2 failed: the formula took the catalog's ε = 0.1
    assert main(["code", f"{path}:cdpo", "--against", "cdpo", "--param", "label_smoothing=0.2", "--quiet"]) == 0
    # an ε given for the formula is the formula's: at another ε than the code's the values differ
    argv = ["code", f"{path}:cdpo", "--against", "cdpo", "--param", "label_smoothing=0.2", "--param", "eps=0.3"]
    assert main([*argv, "--quiet"]) == 1


@pytest.mark.parametrize(
    ("spec", "extra", "message"),
    [
        ("item_mean", ["--reduction", "mean"], "returned a Python float, not a torch array"),
        ("varargs", [], "takes its inputs as *args, which cannot be told apart by name"),
        ("Trainer.dpo_loss", ["--param", "beta=0.1"], "is a method taken from its class; name it through an instance"),
    ],
)
def test_calling_styles_the_checker_cannot_use_are_named(tmp_path, capsys, spec, extra, message):
    path = tmp_path / "styles.py"
    path.write_text(TRAINER_STYLES, encoding="utf-8")
    assert main(["code", f"{path}:{spec}", "--against", "dpo", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert main(["code", f"{path}:trainer.dpo_loss", "--against", "dpo", "--param", "beta=0.1", "--quiet"]) == 0


LOW_PRECISION = """
import torch.nn.functional as F


def bf16(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * h.bfloat16()).double()


def fp16(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    h = (chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps)
    return -F.logsigmoid(beta * h.half()).double()
"""


@pytest.mark.parametrize(("fn", "dtype"), [("bf16", "bfloat16"), ("fp16", "float16")])
def test_a_function_computing_in_16_bits_and_casting_back_is_compared_at_its_precision(tmp_path, fn, dtype):
    """.bfloat16() … .double() was diagnosed "no gradient flows (detached or not used)": its finite differences
    at float64's step see only its rounding. Its results are held exactly in 16 bits: it is compared at that
    precision, as a float32 function is."""
    from verify.code.implementation import stored_in
    from verify.code.load import load_function

    path = tmp_path / "low.py"
    path.write_text(LOW_PRECISION, encoding="utf-8")
    report = check_implementation(load_function(f"{path}:{fn}"), "dpo", {"beta": 0.1})
    assert report.verdict == "ok", _not_ok(report)
    assert f"({dtype} results" in report.property("formula_values").summary
    rng = np.random.default_rng(0)
    values = rng.normal(size=16)
    assert stored_in(values) == "float64"
    assert stored_in(values.astype(np.float32).astype(np.float64)) == "float32"
    assert stored_in(values.astype(np.float16).astype(np.float64)) == "float16"
    assert stored_in(torch.tensor(values).bfloat16().double().numpy()) == "bfloat16"
    assert stored_in(np.array([0.0, 1.0, 0.0, 2.0])) == "float64"  # whole numbers say nothing


def test_a_hyperparameter_tied_to_beta_is_a_warning_and_a_plain_self_argument_can_be_bound(tmp_path, capsys):
    """SimPO written with gamma_beta_ratio (γ = β·ratio) agrees with the formula at 2β only with γ doubled: a
    warning (intended for a ratio, a slip for β·(h − γ)), not the error of a β placed elsewhere. A module-level
    function whose first argument happens to be called self takes --param self=…"""
    path = tmp_path / "styles.py"
    path.write_text(TRAINER_STYLES, encoding="utf-8")
    argv = ["code", f"{path}:simpo_ratio", "--against", "simpo", "--json", "-"]
    assert main(argv) == 0
    import json

    props = {p["id"]: p for p in json.loads(capsys.readouterr().out)["losses"][0]["properties"]}
    tied = props["formula_values_at_another_beta"]
    assert tied["severity"] == "warning" and "agree only with gamma doubled" in tied["summary"]
    assert main(["code", f"{path}:self_first", "--against", "dpo", "--param", "self=0", "--quiet"]) == 0
