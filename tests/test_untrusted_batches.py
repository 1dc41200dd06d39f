"""``crosscheck`` on hostile or mistaken input: archives checked member by member before reading,
log-probs that are not log-probs, hyperparameters out of range, an output that would overwrite
the input. Each is one line on stderr, exit 2, nothing computed."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import verify.evaluator.batch as batch_module
from tests.test_evaluator_crosscheck import _bad, _logps_batch, _run


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A version-1.0 ``.npy`` header declaring ``shape`` (the data that follows is up to the caller)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def _archive(path: Path, members: dict[str, bytes], compress: bool = True) -> None:
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _run_file(path: Path, capsys, *extra: str) -> str:
    code, out, err = _run(["crosscheck", str(path), "--loss", "dpo", "--beta", "0.1", *extra], capsys)
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_member_declaring_a_huge_shape_is_refused_before_reading(tmp_path, capsys):
    members = {f"{k}.npy": _npy(v) for k, v in _logps_batch(np.random.default_rng(0)).items()}
    members["policy_chosen_logps.npy"] = _npy_header((10**12,)) + b"\0" * 64  # 8 TB declared, 64 bytes given
    path = tmp_path / "forged.npz"
    _archive(path, members)
    err = _run_file(path, capsys)
    assert "key 'policy_chosen_logps' declares shape (1000000000000,) of float64" in err
    assert "the file is damaged or forged" in err


def test_a_zip_bomb_is_refused_from_the_directory_alone(tmp_path, capsys, monkeypatch):
    members = {f"{k}.npy": _npy(v) for k, v in _logps_batch(np.random.default_rng(0)).items()}
    members["padding.npy"] = _npy(np.zeros(2**20))  # 8 MB of zeros compresses to a few kB
    path = tmp_path / "bomb.npz"
    _archive(path, members)
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(batch_module, "MAX_BATCH_BYTES", 2**22)

    def never(*args, **kwargs):
        raise AssertionError("an array was read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    err = _run_file(path, capsys)
    total = sum(len(data) for data in members.values())
    assert total > 2**23
    assert f"the archive unpacks to {total:,} bytes, more than the limit of 4,194,304; give a smaller batch" in err


@pytest.mark.parametrize("name", ["notes.txt", "policy_chosen_logps.pkl", "dir/"])
def test_a_member_that_is_not_an_npy_array_is_refused(tmp_path, capsys, name):
    members = {f"{k}.npy": _npy(v) for k, v in _logps_batch(np.random.default_rng(0)).items()}
    members[name] = b"anything"
    path = tmp_path / "mixed.npz"
    _archive(path, members)
    err = _run_file(path, capsys)
    assert f"key {name!r} is not a .npy array; save the batch with numpy.savez" in err


def test_a_member_with_a_garbled_header_is_refused(tmp_path, capsys):
    members = {f"{k}.npy": _npy(v) for k, v in _logps_batch(np.random.default_rng(0)).items()}
    members["policy_chosen_logps.npy"] = b"\x93NUMPY\x09\x00garbage"
    path = tmp_path / "garbled.npz"
    _archive(path, members)
    assert "key 'policy_chosen_logps' is not a readable .npy array" in _run_file(path, capsys)


def test_a_normal_archive_still_reads_exactly(tmp_path):
    arrays = _logps_batch(np.random.default_rng(3))
    path = tmp_path / "ok.npz"
    np.savez_compressed(path, **arrays)
    read = batch_module._read(str(path))
    assert set(read) == set(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(read[k], v)


@pytest.mark.parametrize("key", ["policy_chosen_logps", "reference_rejected_logps"])
def test_a_positive_log_probability_is_refused(tmp_path, capsys, key):
    a = _logps_batch(np.random.default_rng(0))
    a[key] = a[key].copy()
    a[key][2] = 0.25
    err = _bad(tmp_path, capsys, a)
    assert f"key {key!r} has a positive log-probability 0.25 at index 2; log-probs are ≤ 0" in err


def test_a_log_probability_of_exactly_zero_is_allowed(tmp_path, capsys):
    a = _logps_batch(np.random.default_rng(0))
    a["policy_chosen_logps"][0] = 0.0
    path = tmp_path / "b.npz"
    np.savez(path, **a)
    code, _, err = _run(["crosscheck", str(path), "--loss", "dpo", "--beta", "0.1"], capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    ("loss", "param", "text"),
    [
        ("cdpo", "eps=-5", "cdpo needs 0 <= eps < 0.5, got eps=-5.0"),
        ("cdpo", "eps=0.5", "cdpo needs 0 <= eps < 0.5, got eps=0.5"),
        ("robust", "eps=0.7", "robust needs 0 <= eps < 0.5, got eps=0.7"),
        ("exo_pair", "eps=0", "exo_pair needs 0 < eps < 1, got eps=0.0"),
        ("exo_pair", "eps=1", "exo_pair needs 0 < eps < 1, got eps=1.0"),
    ],
)
def test_hyperparameters_out_of_their_range_are_refused(tmp_path, capsys, loss, param, text):
    path = tmp_path / "b.npz"
    np.savez(path, **_logps_batch(np.random.default_rng(0)))
    code, out, err = _run(["crosscheck", str(path), "--loss", loss, "--beta", "0.1", "--param", param], capsys)
    assert code == 2 and out == ""
    assert err == f"verify: {path}: {text}\n"


@pytest.mark.parametrize(("loss", "param"), [("cdpo", "eps=0"), ("cdpo", "eps=0.49"), ("exo_pair", "eps=0.5")])
def test_hyperparameters_inside_their_range_are_accepted(tmp_path, capsys, loss, param):
    path = tmp_path / "b.npz"
    np.savez(path, **_logps_batch(np.random.default_rng(0)))
    code, _, err = _run(["crosscheck", str(path), "--loss", loss, "--beta", "0.1", "--param", param], capsys)
    assert code == 0, err


def test_grad_out_never_overwrites_the_batch(tmp_path, capsys):
    path = tmp_path / "b.npz"
    np.savez(path, **_logps_batch(np.random.default_rng(0)))
    before = path.read_bytes()
    link = tmp_path / "link.npz"
    link.symlink_to(path)
    for target in (str(path), str(tmp_path / "." / "b.npz"), str(link)):
        err = _run_file(path, capsys, "--grad-out", target)
        assert err == f"verify: --grad-out {target!r} is the batch file itself; give another path\n"
    assert path.read_bytes() == before


def test_grad_out_in_a_missing_directory_is_refused_before_reading(tmp_path, capsys):
    err = _run_file(tmp_path / "absent.npz", capsys, "--grad-out", str(tmp_path / "no" / "g.npz"))
    assert "cannot write --grad-out" in err and "does not exist" in err
