"""``crosscheck`` speaks current TRL: its batch names, reference-free losses with their own
rewards, and ``--metrics`` comparing a trainer's log with the recomputed numbers.

Every expected number is computed here from the papers' formulas (NumPy, mpmath), never by the
evaluator itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.cli import main
from verify.evaluator import metrics as metrics_module
from verify.evaluator.batch import validate
from verify.evaluator.crosscheck import crosscheck

BETA = 0.1


def _pairs(seed: int, b: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    lp = lambda: -rng.uniform(1.0, 60.0, b)  # noqa: E731
    return {"pw": lp(), "pl": lp(), "rw": lp(), "rl": lp(), "nw": rng.integers(2, 40, b) * 1.0,
            "nl": rng.integers(2, 40, b) * 1.0}  # fmt: skip


def _trl(d: dict[str, np.ndarray], reference: bool = True, lengths: bool = False) -> dict[str, np.ndarray]:
    out = {"chosen_logps": d["pw"], "rejected_logps": d["pl"]}
    if reference:
        out |= {"ref_chosen_logps": d["rw"], "ref_rejected_logps": d["rl"]}
    if lengths:
        out |= {"chosen_lengths": d["nw"], "rejected_lengths": d["nl"]}
    return out


def _log_sigmoid(x: float) -> float:
    return float(-mp.log1p(mp.exp(-mp.mpf(x))))


def _dpo_by_hand(d: dict[str, np.ndarray], beta: float) -> dict[str, float]:
    """TRL DPOTrainer's logged numbers (sigmoid loss), from its formulas."""
    with mp.workdps(40):
        rows = zip(d["pw"], d["pl"], d["rw"], d["rl"], strict=True)
        losses = [-_log_sigmoid(beta * ((w - rw) - (l_ - rl))) for w, l_, rw, rl in rows]
    cw, cl = beta * (d["pw"] - d["rw"]), beta * (d["pl"] - d["rl"])
    return {
        "loss": float(np.mean(losses)),
        "rewards/chosen": float(np.mean(cw)),
        "rewards/rejected": float(np.mean(cl)),
        "rewards/accuracies": float(np.mean((cw > cl).astype(float))),
        "rewards/margins": float(np.mean(cw - cl)),
        "logps/chosen": float(np.mean(d["pw"])),
        "logps/rejected": float(np.mean(d["pl"])),
    }


def _save(tmp_path: Path, arrays: dict[str, np.ndarray], name: str = "batch.npz") -> str:
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["crosscheck", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, *argv: str) -> dict:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------------- TRL's batch names


def test_trl_names_are_read_as_ours_and_reported(tmp_path, capsys) -> None:
    d = _pairs(1)
    res = _json(capsys, _save(tmp_path, _trl(d)), "--loss", "dpo", "--beta", str(BETA))
    want = _dpo_by_hand(d, BETA)
    assert res["loss"] == pytest.approx(want["loss"], rel=1e-12)
    assert res["keys"] == {
        "chosen_logps": "policy_chosen_logps",
        "ref_chosen_logps": "reference_chosen_logps",
        "ref_rejected_logps": "reference_rejected_logps",
        "rejected_logps": "policy_rejected_logps",
    }
    assert res["ignored_keys"] == []
    for name, value in want.items():
        assert res["metrics"][name] == pytest.approx(value, rel=1e-12), name
    code, out, _ = _run(capsys, _save(tmp_path, _trl(d)), "--loss", "dpo", "--beta", str(BETA))
    assert code == 0 and "chosen_logps (as policy_chosen_logps)" in out and "rewards: β·(π − π_ref)" in out


def test_a_trl_name_beside_ours_for_the_same_array_is_refused(tmp_path, capsys) -> None:
    d = _pairs(2)
    arrays = _trl(d) | {"policy_chosen_logps": d["pw"]}
    code, out, err = _run(capsys, _save(tmp_path, arrays), "--loss", "dpo", "--beta", "0.1")
    assert code == 2 and out == ""
    assert err.endswith("keys 'chosen_logps' and 'policy_chosen_logps' are the same array; give one of them\n")
    assert err.count("\n") == 1


def test_a_missing_reference_names_both_spellings(tmp_path, capsys) -> None:
    d = _pairs(3)
    arrays = _trl(d)
    del arrays["ref_rejected_logps"]
    code, _, err = _run(capsys, _save(tmp_path, arrays), "--loss", "dpo", "--beta", "0.1")
    assert code == 2
    assert "key 'reference_rejected_logps' is missing (or TRL's 'ref_rejected_logps')" in err


def test_errors_name_the_key_as_given(tmp_path, capsys) -> None:
    d = _pairs(4)
    arrays = _trl(d)
    arrays["rejected_logps"] = np.abs(arrays["rejected_logps"])
    code, _, err = _run(capsys, _save(tmp_path, arrays), "--loss", "dpo", "--beta", "0.1")
    assert code == 2 and "key 'rejected_logps' has a positive log-probability" in err


# ---------------------------------------------------------------------------- reference-free losses


def test_simpo_needs_no_reference_and_rewards_are_its_own(tmp_path, capsys) -> None:
    d = _pairs(5)
    gamma = 0.5
    res = _json(capsys, _save(tmp_path, _trl(d, reference=False, lengths=True)), "--loss", "simpo", "--beta", "2.0")
    aw, al = d["pw"] / d["nw"], d["pl"] / d["nl"]  # SimPO: β·log π(y)/|y|
    np.testing.assert_allclose(res["chosen_rewards"], 2.0 * aw, rtol=1e-13)
    np.testing.assert_allclose(res["rejected_rewards"], 2.0 * al, rtol=1e-13)
    with mp.workdps(40):
        losses = [-_log_sigmoid(2.0 * (w - l_) - gamma) for w, l_ in zip(aw, al, strict=True)]
    np.testing.assert_allclose(res["losses"], losses, rtol=1e-12)
    assert res["metrics"]["logps/chosen"] == pytest.approx(float(np.mean(aw)), rel=1e-13)
    assert res["metrics"]["rewards/margins"] == pytest.approx(float(np.mean(2.0 * (aw - al))), rel=1e-12)
    assert res["reward_definition"] == "β·π/|y| (token-mean log-prob)"


def test_a_given_reference_is_ignored_by_a_reference_free_loss(tmp_path, capsys) -> None:
    d = _pairs(6)
    res = _json(capsys, _save(tmp_path, _trl(d, lengths=True)), "--loss", "orpo", "--beta", "0.2")
    assert res["ignored_keys"] == ["ref_chosen_logps", "ref_rejected_logps"]
    np.testing.assert_allclose(res["chosen_rewards"], 0.2 * d["pw"] / d["nw"], rtol=1e-13)  # TRL's ORPO: β·mean logp


def test_cpo_is_reference_free_with_its_nll_term(tmp_path, capsys) -> None:
    d = _pairs(7)
    alpha, beta = 0.7, 0.3
    batch = _save(tmp_path, _trl(d, reference=False, lengths=True))
    res = _json(capsys, batch, "--loss", "cpo", "--beta", str(beta), "--param", f"alpha={alpha}")
    with mp.workdps(40):
        want = [
            -_log_sigmoid(beta * (w - l_)) - alpha * w / n for w, l_, n in zip(d["pw"], d["pl"], d["nw"], strict=True)
        ]
    np.testing.assert_allclose(res["losses"], want, rtol=1e-12)
    np.testing.assert_allclose(res["chosen_rewards"], beta * d["pw"], rtol=1e-13)  # β·π, as TRL's CPOTrainer logs
    assert res["metrics"]["logps/rejected"] == pytest.approx(float(np.mean(d["pl"])), rel=1e-13)
    no_lengths = _save(tmp_path, _trl(d, reference=False), "short.npz")
    res0 = _json(capsys, no_lengths, "--loss", "cpo", "--beta", str(beta), "--param", "alpha=0")
    with mp.workdps(40):
        want0 = [-_log_sigmoid(beta * (w - l_)) for w, l_ in zip(d["pw"], d["pl"], strict=True)]
    np.testing.assert_allclose(res0["losses"], want0, rtol=1e-12)
    code, _, err = _run(capsys, no_lengths, "--loss", "cpo", "--beta", str(beta))  # default alpha = 1: needs n_w
    assert code == 2 and "chosen_lengths" in err and err.count("\n") == 1


def test_reference_free_losses_in_logits_form_need_no_reference(tmp_path, capsys) -> None:
    rng = np.random.default_rng(8)
    b, t, v = 3, 5, 7
    arrays = {}
    for side in ("chosen", "rejected"):
        arrays[f"policy_{side}_logits"] = rng.normal(size=(b, t, v))
        arrays[f"{side}_labels"] = rng.integers(0, v, size=(b, t))
        mask = (rng.random((b, t)) < 0.7).astype(np.int8)
        mask[:, 0] = 1
        arrays[f"{side}_mask"] = mask
    res = _json(capsys, _save(tmp_path, arrays), "--loss", "simpo", "--beta", "1.5")
    for side, key in (("chosen", "chosen_rewards"), ("rejected", "rejected_rewards")):
        x, y, m = arrays[f"policy_{side}_logits"], arrays[f"{side}_labels"], arrays[f"{side}_mask"]
        with mp.workdps(40):
            mean = []
            for i in range(b):
                total = mp.mpf(0)
                for j in range(t):
                    if m[i, j]:
                        z = mp.log(mp.fsum(mp.exp(mp.mpf(float(u))) for u in x[i, j]))
                        total += mp.mpf(float(x[i, j, y[i, j]])) - z
                mean.append(float(total / int(m[i].sum())))
        np.testing.assert_allclose(res[key], 1.5 * np.array(mean), rtol=1e-12)


def test_a_loss_with_a_reference_still_requires_it(tmp_path, capsys) -> None:
    code, _, err = _run(capsys, _save(tmp_path, _trl(_pairs(9), reference=False)), "--loss", "dpo", "--beta", "0.1")
    assert code == 2 and "'reference_chosen_logps' is missing (or TRL's 'ref_chosen_logps')" in err


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(*(st.floats(-500, -1e-3) for _ in range(4)), st.integers(1, 200), st.integers(1, 200)),
        min_size=1,
        max_size=8,
    ),
    beta=st.floats(1e-3, 10),
)
def test_logged_metrics_follow_each_losss_definition(rows, beta) -> None:
    a = np.array(rows, dtype=float)
    arrays = {"chosen_logps": a[:, 0], "rejected_logps": a[:, 1], "ref_chosen_logps": a[:, 2],
              "ref_rejected_logps": a[:, 3], "chosen_lengths": a[:, 4], "rejected_lengths": a[:, 5]}  # fmt: skip
    dpo = crosscheck(validate(arrays), "dpo", beta, grads=False).metrics()
    cw, cl = beta * (a[:, 0] - a[:, 2]), beta * (a[:, 1] - a[:, 3])
    assert dpo["rewards/chosen"] == pytest.approx(float(np.mean(cw)), rel=1e-12, abs=1e-300)
    assert dpo["rewards/accuracies"] == float(np.mean(cw > cl))
    assert dpo["logps/chosen"] == pytest.approx(float(np.mean(a[:, 0])), rel=1e-12)
    simpo = crosscheck(validate(arrays, reference=False), "simpo", beta, grads=False).metrics()
    aw, al = a[:, 0] / a[:, 4], a[:, 1] / a[:, 5]
    assert simpo["rewards/chosen"] == pytest.approx(float(np.mean(beta * aw)), rel=1e-12)
    assert simpo["rewards/accuracies"] == float(np.mean(beta * aw > beta * al))
    assert simpo["logps/rejected"] == pytest.approx(float(np.mean(al)), rel=1e-12)


# ---------------------------------------------------------------------------- --metrics


def _metrics_run(tmp_path, capsys, content: str, *extra: str) -> tuple[int, str, str]:
    log = tmp_path / "log.jsonl"
    log.write_text(content, encoding="utf-8")
    batch = _save(tmp_path, _trl(_pairs(10)))
    return _run(capsys, batch, "--loss", "dpo", "--beta", str(BETA), "--metrics", str(log), *extra)


def test_logged_metrics_that_agree_pass(tmp_path, capsys) -> None:
    want = _dpo_by_hand(_pairs(10), BETA)
    logged = {k: float(np.float32(v)) for k, v in want.items()}  # a trainer logs float32
    lines = [json.dumps({"step": 1, "loss": 0.9}), json.dumps({**logged, "step": 2, "learning_rate": 1e-6})]
    code, out, _ = _metrics_run(tmp_path, capsys, "\n".join(lines) + "\n")
    assert code == 0
    assert "7 of 7 logged metrics agree" in out and "FAIL" not in out


def test_a_wrong_logged_metric_fails_alone(tmp_path, capsys) -> None:
    want = _dpo_by_hand(_pairs(10), BETA)
    logged = dict(want)
    logged["rewards/margins"] *= 1.01  # e.g. a margin logged with the rejected reward's sign flipped would be far off
    code, out, _ = _metrics_run(tmp_path, capsys, json.dumps(logged) + "\n", "--json", str(tmp_path / "r.json"))
    assert code == 1
    assert "6 of 7 logged metrics agree; FAILED: rewards/margins" in out
    checks = json.loads((tmp_path / "r.json").read_text())["logged_metrics"]
    assert checks["passed"] is False
    by_name = {c["name"]: c for c in checks["checks"]}
    assert [n for n, c in by_name.items() if not c["passed"]] == ["rewards/margins"]
    assert by_name["rewards/margins"]["relative_error"] == pytest.approx(0.01 / 1.01, rel=1e-9)
    code, _, _ = _metrics_run(tmp_path, capsys, json.dumps(logged) + "\n", "--rtol", "0.02")
    assert code == 0  # within a looser tolerance


def test_trainer_state_log_history_by_step_and_prefixes(tmp_path, capsys) -> None:
    want = _dpo_by_hand(_pairs(10), BETA)
    wrong = {k: v + 1.0 for k, v in want.items()}
    state = {
        "global_step": 3,
        "log_history": [
            {"step": 1, **{f"train/{k}": v for k, v in want.items()}},  # a logger's prefix
            {"step": 2, **{f"eval_{k}": v for k, v in wrong.items()}},
            {"step": 3, "train_runtime": 12.5},
        ],
    }
    code, out, _ = _metrics_run(tmp_path, capsys, json.dumps(state), "--step", "1")
    assert code == 0 and "train/rewards/chosen" in out and "7 of 7 logged metrics agree" in out
    # default: the last training record holding metrics; the later eval_* record averages another set
    code, out, _ = _metrics_run(tmp_path, capsys, json.dumps(state))
    assert code == 0 and "7 of 7 logged metrics agree" in out


def test_only_the_logged_metrics_are_compared(tmp_path, capsys) -> None:
    want = _dpo_by_hand(_pairs(10), BETA)
    code, out, _ = _metrics_run(
        tmp_path, capsys, json.dumps({"loss": want["loss"], "rewards/chosen": want["rewards/chosen"]})
    )
    assert code == 0 and "2 of 2 logged metrics agree" in out and "not logged: rewards/rejected" in out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("{not json\n{}\n", (), "line 1 is not JSON"),
        ('{"loss": 1}\n{"loss": 2}\n[oops\n', (), "line 3 is not JSON"),
        ('{"loss": "0.5"}', (), "'loss' is str, not a number"),
        ('{"loss": true}', (), "'loss' is bool, not a number"),
        ('{"learning_rate": 0.1}', (), "holds none of the metrics"),
        ('{"log_history": 5}', (), "log_history is not a list"),
        ('{"loss": 1' + "0" * 400 + "}", (), "'loss' is an integer too large for a float"),
        ('{"loss": 1' + "0" * 5000 + "}", (), "line 1 is not JSON (a number too long)"),
        ("[1, 2]", (), "record 0 is not a JSON object"),
        ("[" * 100000 + "]" * 100000, (), "nested too deeply"),
        ('{"step": 1, "loss": 0.7}', ("--step", "2"), "has no record with step 2"),
        ('{"loss": 0.7}', ("--rtol", "-1"), "--rtol '-1' must be a finite number ≥ 0"),
        ('{"loss": 0.7}', ("--atol", "x"), "--atol 'x' is not a number"),
    ],
)
def test_an_unusable_metrics_file_is_one_line_and_exit_2(tmp_path, capsys, content, extra, message) -> None:
    code, out, err = _metrics_run(tmp_path, capsys, content, *extra)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_metrics_files_are_size_limited_and_must_exist(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(metrics_module, "MAX_BYTES", 100)
    code, _, err = _metrics_run(tmp_path, capsys, json.dumps({"loss": 0.5, "pad": "x" * 200}))
    assert code == 2 and "more than the limit of 100" in err
    batch = _save(tmp_path, _trl(_pairs(10)))
    code, _, err = _run(capsys, batch, "--loss", "dpo", "--beta", "0.1", "--metrics", str(tmp_path / "none.jsonl"))
    assert code == 2 and err.startswith("verify: cannot read --metrics") and err.count("\n") == 1
    code, _, err = _run(capsys, batch, "--loss", "dpo", "--beta", "0.1", "--step", "3")
    assert code == 2 and "--step selects a record of --metrics FILE" in err


def test_a_non_finite_logged_value_fails(tmp_path, capsys) -> None:
    code, out, _ = _metrics_run(tmp_path, capsys, '{"loss": NaN}')
    assert code == 1 and "FAILED: loss" in out


# ---------------------------------------------------------------------------- --json and --help


def test_json_takes_an_optional_path_and_the_old_flag_still_works(tmp_path, capsys) -> None:
    batch = _save(tmp_path, _trl(_pairs(11)))
    common = ["--loss", "dpo", "--beta", "0.1"]
    code, out, _ = _run(capsys, batch, *common, "--json")
    flag = json.loads(out)
    assert code == 0
    code, out, _ = _run(capsys, "--json", batch, *common)  # the flag before the batch, as before
    assert code == 0 and json.loads(out) == flag
    code, out, _ = _run(capsys, batch, *common, "--json", "-")
    assert code == 0 and json.loads(out) == flag
    code, out, _ = _run(capsys, batch, *common, "--json", str(tmp_path / "out.json"))
    assert code == 0 and "mean loss" in out  # the console report, and the JSON in the file
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == flag
    code, _, err = _run(capsys, batch, *common, "--json", str(tmp_path / "missing" / "out.json"))
    assert code == 2 and "does not exist" in err


def test_help_points_to_documents_that_exist(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["crosscheck", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "DESIGN.md" not in text and "docs/guide.md" in text
    assert (Path(__file__).resolve().parents[1] / "docs" / "guide.md").is_file()
    assert "--metrics FILE" in text and "--json [PATH]" in text


def test_a_bad_metrics_file_is_refused_before_anything_is_written(tmp_path, capsys) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("{broken\n", encoding="utf-8")
    grads = tmp_path / "grads.npz"
    batch = _save(tmp_path, _trl(_pairs(12)))
    code, _, err = _run(
        capsys, batch, "--loss", "dpo", "--beta", "0.1", "--metrics", str(log), "--grad-out", str(grads)
    )
    assert code == 2 and "line 1 is not JSON" in err and not grads.exists()


def test_key_names_print_literally(tmp_path, capsys) -> None:
    arrays = _trl(_pairs(13)) | {"[bold red]x[/bold red]": np.zeros(2)}
    code, out, _ = _run(capsys, _save(tmp_path, arrays), "--loss", "dpo", "--beta", "0.1")
    assert code == 0 and "ignored keys: [bold red]x[/bold red]" in out


def test_a_missing_batch_is_a_usage_error(tmp_path, capsys) -> None:
    code, out, err = _run(capsys, "--loss", "dpo", "--beta", "0.1", "--json", str(tmp_path / "out.json"))
    assert code == 2 and out == "" and err == "verify: give the batch: crosscheck BATCH.npz --loss NAME --beta B\n"


def test_a_training_record_is_compared_before_the_evaluation_record_of_its_step(tmp_path, capsys):
    # transformers logs the training metrics of step 1, then (eval_steps = logging_steps) eval_* of step 1
    chosen, rejected = np.array([-12.5, -30.0, -7.25]), np.array([-14.0, -22.5, -9.5])
    batch = tmp_path / "step1.npz"
    np.savez(batch, chosen_logps=chosen, rejected_logps=rejected, ref_chosen_logps=chosen, ref_rejected_logps=rejected)
    train = {"step": 1, "loss": float(np.log(2)), "rewards/chosen": 0.0, "logps/chosen": float(chosen.mean())}
    evaluation = {"step": 1, "eval_loss": 0.41, "eval_rewards/chosen": 0.8, "eval_logps/chosen": -3.0}
    state = tmp_path / "trainer_state.json"
    state.write_text(json.dumps({"log_history": [train, evaluation, {"step": 1, "train_runtime": 1.0}]}))
    for extra in ([], ["--step", "1"]):
        argv = ["crosscheck", str(batch), "--loss", "dpo", "--beta", "0.1", "--metrics", str(state), "--json", "-"]
        assert main(argv + extra) == 0
        checks = json.loads(capsys.readouterr().out)["logged_metrics"]["checks"]
        assert {c["key"] for c in checks} == {"loss", "rewards/chosen", "logps/chosen"}
    only_eval = tmp_path / "eval.json"
    only_eval.write_text(json.dumps({"log_history": [evaluation]}))
    argv = ["crosscheck", str(batch), "--loss", "dpo", "--beta", "0.1", "--metrics", str(only_eval)]
    assert main(argv) == 1  # no training record: the evaluation record is compared, and differs
