"""``python -m verify crosscheck``: agreement with an independent implementation; bad batches."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from evaluator_reference import PARAM_VALUES, reference, sequence_logps_reference

from verify.cli import main
from verify.evaluator.losses import LOSSES, get_loss

RTOL = 1e-9


def _logps_batch(rng: np.random.Generator, b: int = 6) -> dict[str, np.ndarray]:
    lp = lambda: -rng.uniform(0.5, 40.0, b)  # noqa: E731
    return {
        "policy_chosen_logps": lp(),
        "policy_rejected_logps": lp(),
        "reference_chosen_logps": lp(),
        "reference_rejected_logps": lp(),
        "chosen_lengths": rng.integers(1, 30, b).astype(np.float64),
        "rejected_lengths": rng.integers(1, 30, b).astype(np.float64),
    }


def _logits_batch(rng: np.random.Generator, b: int = 3, t: int = 4, v: int = 6) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for side in ("chosen", "rejected"):
        out[f"policy_{side}_logits"] = rng.normal(scale=2.0, size=(b, t, v))
        out[f"{side}_labels"] = rng.integers(0, v, size=(b, t))
        mask = (rng.random((b, t)) < 0.6).astype(np.int8)
        mask[:, -1] = 1
        out[f"{side}_mask"] = mask
    out["reference_chosen_logits"] = rng.normal(scale=2.0, size=(b, t, v))
    out["reference_rejected_logps"] = -rng.uniform(1.0, 20.0, b)
    return out


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _params(name: str) -> dict[str, float]:
    return {k: PARAM_VALUES[k] for k in get_loss(name).defaults}


def _cli(tmp_path: Path, arrays: dict[str, np.ndarray], name: str, beta: float, capsys) -> tuple[dict, dict]:
    path = tmp_path / "batch.npz"
    np.savez(path, **arrays)
    grads = tmp_path / "grads.npz"
    argv = ["crosscheck", str(path), "--loss", name, "--beta", repr(beta), "--json", "--grad-out", str(grads)]
    for k, v in _params(name).items():
        argv += ["--param", f"{k}={v!r}"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    with np.load(grads) as g:
        return json.loads(out), dict(g)


def _reference_logits_grad(logits, labels, mask, upstream) -> np.ndarray:
    """``upstream_b·mask·(onehot − softmax)`` with mpmath, element by element."""
    out = np.zeros_like(logits)
    with mp.workdps(40):
        for b, t in np.ndindex(*labels.shape):
            if not mask[b, t]:
                continue
            row = [mp.exp(mp.mpf(float(x))) for x in logits[b, t]]
            z = mp.fsum(row)
            for v in range(logits.shape[2]):
                out[b, t, v] = float(mp.mpf(float(upstream[b])) * ((v == labels[b, t]) - row[v] / z))
    return out


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_logps_form_agrees_with_the_independent_reference(name: str, tmp_path: Path, capsys) -> None:
    arrays = _logps_batch(np.random.default_rng(11))
    beta = 0.25
    res, grads = _cli(tmp_path, arrays, name, beta, capsys)
    d = {"pw": arrays["policy_chosen_logps"], "pl": arrays["policy_rejected_logps"],
         "rw": arrays["reference_chosen_logps"], "rl": arrays["reference_rejected_logps"],
         "nw": arrays["chosen_lengths"], "nl": arrays["rejected_lengths"]}  # fmt: skip
    want = reference(name, d, beta, _params(name))
    n = len(d["pw"])
    np.testing.assert_allclose(res["losses"], want[0], rtol=RTOL)
    assert res["loss"] == pytest.approx(float(np.mean(want[0])), rel=RTOL)
    np.testing.assert_allclose(grads["policy_chosen_logps"], want[1] / n, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(grads["policy_rejected_logps"], want[2] / n, rtol=RTOL, atol=1e-300)
    cw, cl = beta * (d["pw"] - d["rw"]), beta * (d["pl"] - d["rl"])
    if name in ("simpo", "orpo"):  # reference-free on token means: SimPO's β·log π(y)/|y|, as TRL logs ORPO's
        cw, cl = beta * d["pw"] / d["nw"], beta * d["pl"] / d["nl"]
    elif name == "cpo":  # reference-free on sequence log-probs, as TRL's CPOTrainer logs it
        cw, cl = beta * d["pw"], beta * d["pl"]
    np.testing.assert_allclose(res["chosen_rewards"], cw, rtol=RTOL)
    np.testing.assert_allclose(res["rejected_rewards"], cl, rtol=RTOL)
    assert res["reward_accuracy"] == float(np.mean(cw > cl))
    assert res["reward_margin"] == pytest.approx(float(np.mean(cw - cl)), rel=RTOL)
    assert set(grads) == {"policy_chosen_logps", "policy_rejected_logps"}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_logits_form_agrees_with_the_independent_reference(name: str, tmp_path: Path, capsys) -> None:
    arrays = _logits_batch(np.random.default_rng(12))
    beta = 0.7
    res, grads = _cli(tmp_path, arrays, name, beta, capsys)
    pw = sequence_logps_reference(arrays["policy_chosen_logits"], arrays["chosen_labels"], arrays["chosen_mask"])
    pl = sequence_logps_reference(arrays["policy_rejected_logits"], arrays["rejected_labels"], arrays["rejected_mask"])
    rw = sequence_logps_reference(arrays["reference_chosen_logits"], arrays["chosen_labels"], arrays["chosen_mask"])
    nw, nl = (arrays[f"{s}_mask"].sum(1).astype(float) for s in ("chosen", "rejected"))
    d = {"pw": pw, "pl": pl, "rw": rw, "rl": arrays["reference_rejected_logps"], "nw": nw, "nl": nl}
    want = reference(name, d, beta, _params(name))
    n = len(pw)
    np.testing.assert_allclose(res["policy_chosen_logps"], pw, rtol=RTOL)
    np.testing.assert_allclose(res["losses"], want[0], rtol=RTOL)
    np.testing.assert_allclose(grads["policy_chosen_logps"], want[1] / n, rtol=RTOL, atol=1e-300)
    for side, g in (("chosen", want[1] / n), ("rejected", want[2] / n)):
        ref = _reference_logits_grad(
            arrays[f"policy_{side}_logits"], arrays[f"{side}_labels"], arrays[f"{side}_mask"], g
        )
        np.testing.assert_allclose(grads[f"policy_{side}_logits"], ref, rtol=RTOL, atol=1e-15 * np.abs(ref).max())


def test_console_output_shows_the_mean_loss(tmp_path: Path, capsys) -> None:
    path = tmp_path / "b.npz"
    np.savez(path, **_logps_batch(np.random.default_rng(1), b=3))
    code, out, _ = _run(["crosscheck", str(path), "--loss", "dpo", "--beta", "0.1"], capsys)
    assert code == 0 and "mean loss" in out and "reward accuracy" in out


def _bad(tmp_path: Path, capsys, arrays: dict | None = None, extra: list[str] | None = None, raw: bytes | None = None):
    path = tmp_path / "bad.npz"
    if raw is not None:
        path.write_bytes(raw)
    else:
        np.savez(path, **arrays)
    code, out, err = _run(["crosscheck", str(path), "--loss", "dpo", "--beta", "0.1", *(extra or [])], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_missing_key(tmp_path: Path, capsys) -> None:
    a = _logps_batch(np.random.default_rng(0))
    del a["reference_rejected_logps"]
    assert "key 'reference_rejected_logps' is missing" in _bad(tmp_path, capsys, a)


def test_neither_form(tmp_path: Path, capsys) -> None:
    assert "neither form found" in _bad(tmp_path, capsys, {"x": np.zeros(2)})


def test_shape_mismatch(tmp_path: Path, capsys) -> None:
    a = _logps_batch(np.random.default_rng(0))
    a["policy_rejected_logps"] = a["policy_rejected_logps"][:-1]
    assert "key 'policy_rejected_logps' has shape (5,), expected (6,)" in _bad(tmp_path, capsys, a)


def test_nan(tmp_path: Path, capsys) -> None:
    a = _logps_batch(np.random.default_rng(0))
    a["reference_chosen_logps"][3] = np.nan
    assert "key 'reference_chosen_logps' has a non-finite value nan at index (3,)" in _bad(tmp_path, capsys, a)


def test_nan_in_logits(tmp_path: Path, capsys) -> None:
    a = _logits_batch(np.random.default_rng(0))
    a["policy_rejected_logits"][1, 2, 3] = np.inf
    assert "key 'policy_rejected_logits' has a non-finite value inf at index (1, 2, 3)" in _bad(tmp_path, capsys, a)


def test_labels_out_of_range(tmp_path: Path, capsys) -> None:
    a = _logits_batch(np.random.default_rng(0))
    a["rejected_labels"][2, 1] = -1
    err = _bad(tmp_path, capsys, a)
    assert "key 'rejected_labels' has token id -1 at index (2, 1), outside [0, 6)" in err


def test_float_labels(tmp_path: Path, capsys) -> None:
    a = _logits_batch(np.random.default_rng(0))
    a["chosen_labels"] = a["chosen_labels"].astype(float)
    assert "key 'chosen_labels' must hold integers" in _bad(tmp_path, capsys, a)


def test_mask_not_binary_and_empty_row(tmp_path: Path, capsys) -> None:
    a = _logits_batch(np.random.default_rng(0))
    a["chosen_mask"] = a["chosen_mask"] * 2
    assert "key 'chosen_mask' must hold only 0 and 1" in _bad(tmp_path, capsys, a)
    a = _logits_batch(np.random.default_rng(0))
    a["rejected_mask"][1] = 0
    assert "key 'rejected_mask' row 1 counts no token" in _bad(tmp_path, capsys, a)


def test_missing_reference_in_logits_form(tmp_path: Path, capsys) -> None:
    a = _logits_batch(np.random.default_rng(0))
    del a["reference_chosen_logits"]
    assert "key 'reference_chosen_logps' is missing (give reference_chosen_logps" in _bad(tmp_path, capsys, a)


def test_pickled_array_is_refused_not_loaded(tmp_path: Path, capsys) -> None:
    a = _logps_batch(np.random.default_rng(0))
    a["policy_chosen_logps"] = np.array([{"boom": 1}] * 6, dtype=object)
    err = _bad(tmp_path, capsys, a)
    assert "key 'policy_chosen_logps' holds pickled Python objects; refusing to load it" in err


def test_not_an_archive(tmp_path: Path, capsys) -> None:
    assert "not a readable .npz archive" in _bad(tmp_path, capsys, raw=b"not a zip file")


def test_bad_options(tmp_path: Path, capsys) -> None:
    a = _logps_batch(np.random.default_rng(0))
    assert "--param 'eps' must look like NAME=VALUE" in _bad(tmp_path, capsys, a, ["--param", "eps"])
    assert "no parameter(s) gamma" in _bad(tmp_path, capsys, a, ["--param", "gamma=1"])
    path = tmp_path / "b.npz"
    np.savez(path, **a)
    code, _, err = _run(["crosscheck", str(path), "--loss", "nope", "--beta", "1"], capsys)
    assert code == 2 and "--loss 'nope' is unknown" in err
    code, _, err = _run(["crosscheck", str(path), "--loss", "dpo", "--beta", "nan"], capsys)
    assert code == 2 and "--beta 'nan' must be a positive finite number" in err
    code, _, err = _run(["crosscheck", str(tmp_path / "none.npz"), "--loss", "dpo", "--beta", "1"], capsys)
    assert code == 2 and "does not exist" in err
