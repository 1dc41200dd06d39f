"""Reading and validating evaluator batches (``.npz``), in log-prob form or logits form.

Log-prob form: ``policy_chosen_logps``, ``policy_rejected_logps``, ``reference_chosen_logps``,
``reference_rejected_logps`` (shape ``(B,)``), optional ``chosen_lengths``, ``rejected_lengths``.
Current TRL's names are read as the same arrays (:data:`TRL_NAMES`): ``chosen_logps``,
``rejected_logps``, ``ref_chosen_logps``, ``ref_rejected_logps``; :attr:`Batch.keys` says how
each given key was understood. A reference-free loss (SimPO, ORPO, CPO) needs no reference.
Logits form: ``policy_{chosen,rejected}_logits`` ``(B,T,V)``, ``{chosen,rejected}_labels``
``(B,T)`` integers in ``[0, V)``, ``{chosen,rejected}_mask`` ``(B,T)`` of 0/1 (1 = counted token,
at least one per sequence); the reference as ``reference_*_logps`` or ``reference_*_logits``
(same labels and masks). Arrays are loaded with ``allow_pickle=False``: a pickled array is
refused, never unpickled. Every problem is a :class:`~verify.errors.UsageError` naming the key.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from verify.errors import UsageError

LOGP_KEYS = ("policy_chosen_logps", "policy_rejected_logps", "reference_chosen_logps", "reference_rejected_logps")
REFERENCE_KEYS = LOGP_KEYS[2:]
LENGTH_KEYS = ("chosen_lengths", "rejected_lengths")
#: current TRL's names (``DPOTrainer``: ``chosen_logps``; precomputed ``ref_chosen_logps``) → ours
TRL_NAMES = {
    "chosen_logps": "policy_chosen_logps",
    "rejected_logps": "policy_rejected_logps",
    "ref_chosen_logps": "reference_chosen_logps",
    "ref_rejected_logps": "reference_rejected_logps",
}
SIDES = ("chosen", "rejected")


@dataclass
class Batch:
    """A validated batch. ``form`` is ``"logps"`` or ``"logits"``; ``arrays`` maps key → array."""

    form: str
    arrays: dict[str, np.ndarray]
    ignored: list[str] = field(default_factory=list)
    #: every key read, as given → the array it was read as (a TRL name → ours)
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        key = "policy_chosen_logps" if self.form == "logps" else "policy_chosen_logits"
        return int(self.arrays[key].shape[0])


def _fail(where: str, key: str, problem: str) -> UsageError:
    return UsageError(f"{where}: key {key!r} {problem}")


MAX_BATCH_BYTES = 2**31
"""The most a batch may hold once read (all members together); a larger one is refused unread."""


def _member_header(path: str, key: str, fp) -> tuple[tuple[int, ...], np.dtype]:
    """The declared shape and dtype of one ``.npy`` member, read from its header alone."""
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except ValueError as exc:
        raise _fail(path, key, f"is not a readable .npy array ({exc})") from None
    if dtype.hasobject:
        raise _fail(path, key, "holds pickled Python objects; refusing to load it (save numeric arrays)")
    return tuple(int(n) for n in shape), dtype


def _read(path: str) -> dict[str, np.ndarray]:
    """Every member of the archive, each checked from its header (a ``.npy`` array, no objects, a
    declared size that matches the member and keeps the batch under :data:`MAX_BATCH_BYTES`)
    before a byte of its data is read."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"batch file {path!r} does not exist (give the path of an .npz file)")
    try:
        with zipfile.ZipFile(p) as archive:
            members = archive.infolist()
            total = 0
            for info in members:
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise _fail(path, info.filename, "is not a .npy array; save the batch with numpy.savez")
                total += info.file_size
            if total > MAX_BATCH_BYTES:
                raise UsageError(
                    f"{path}: the archive unpacks to {total:,} bytes, more than the limit of {MAX_BATCH_BYTES:,}; "
                    "give a smaller batch"
                )
            out: dict[str, np.ndarray] = {}
            for info in members:
                key = info.filename[: -len(".npy")]
                with archive.open(info) as fp:
                    shape, dtype = _member_header(path, key, fp)
                    declared = math.prod(shape) * dtype.itemsize
                    if declared > info.file_size - fp.tell():
                        raise _fail(
                            path,
                            key,
                            f"declares shape {shape} of {dtype} ({declared:,} bytes) but the member holds "
                            f"{max(info.file_size - fp.tell(), 0):,}; the file is damaged or forged",
                        )
                    fp.seek(0)
                    out[key] = np.lib.format.read_array(fp, allow_pickle=False)
            return out
    except UsageError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise UsageError(
            f"{path}: not a readable .npz archive ({type(exc).__name__}: {exc}); save with numpy.savez"
        ) from None


def _numeric(where: str, key: str, a: np.ndarray, kind: str) -> np.ndarray:
    if a.dtype.kind == "O":
        raise _fail(where, key, "holds Python objects, not numbers")
    if kind == "int":
        if a.dtype.kind not in "iu":
            raise _fail(where, key, f"must hold integers (token ids), got dtype {a.dtype}")
        return a
    if a.dtype.kind not in "fiub":
        raise _fail(where, key, f"must hold real numbers, got dtype {a.dtype}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise _fail(
            where, key, f"has a non-finite value {float(a[tuple(bad)])!r} at index {tuple(int(i) for i in bad)}"
        )
    return a


def _shape(where: str, key: str, a: np.ndarray, shape: tuple[int | None, ...], meaning: str) -> None:
    ok = a.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, a.shape, strict=True))
    if not ok:
        parts = ["?" if s is None else str(s) for s in shape]
        want = f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
        raise _fail(where, key, f"has shape {a.shape}, expected {want} {meaning}")


def _log_probabilities(where: str, key: str, a: np.ndarray) -> None:
    """A sequence's log-probability is a log of a probability: at most 0."""
    if np.any(a > 0):
        i = int(np.flatnonzero(a > 0)[0])
        raise _fail(
            where,
            key,
            f"has a positive log-probability {float(a[i])!r} at index {i}; log-probs are ≤ 0 "
            "(pass summed token log-probs, not probabilities, logits or losses)",
        )


def _float(a: np.ndarray) -> np.ndarray:
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def _canonical(arrays: dict[str, np.ndarray], where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``arrays`` with TRL's names replaced by ours, and our name → the name given."""
    out = dict(arrays)
    given: dict[str, str] = {}
    for trl, ours in TRL_NAMES.items():
        if trl not in out:
            continue
        if ours in out:
            raise UsageError(f"{where}: keys {trl!r} and {ours!r} are the same array; give one of them")
        out[ours] = out.pop(trl)
        given[ours] = trl
    return out, given


def validate(arrays: dict[str, np.ndarray], where: str = "batch", reference: bool = True) -> Batch:
    """Check keys, dtypes, shapes and values; return the :class:`Batch` (no copies of float arrays).

    With ``reference`` False (a reference-free loss) the reference arrays are not required, and
    are ignored when given.
    """
    arrays, given = _canonical(arrays, where)

    def name(key: str) -> str:
        return given.get(key, key)

    logits_form = any(f"policy_{s}_logits" in arrays for s in SIDES)
    if not logits_form and "policy_chosen_logps" not in arrays:
        needed = LOGP_KEYS if reference else LOGP_KEYS[:2]
        raise UsageError(
            f"{where}: neither form found: give {', '.join(needed)} (log-prob form; TRL's "
            f"{', '.join(k for k, v in TRL_NAMES.items() if v in needed)} are read as the same) or "
            "policy_chosen_logits, policy_rejected_logits, chosen_labels, rejected_labels, chosen_mask, "
            "rejected_mask" + (" and the reference (logits form)" if reference else " (logits form)")
        )
    out: dict[str, np.ndarray] = {}

    def need(key: str) -> np.ndarray:
        if key not in arrays:
            form = "logits" if logits_form else "log-prob"
            alias = next((k for k, v in TRL_NAMES.items() if v == key), None)
            also = f" (or TRL's {alias!r})" if alias else ""
            raise _fail(where, key, f"is missing{also} (required in the {form} form)")
        return arrays[key]

    def batch(used: set[str], form: str) -> Batch:
        keys = {name(k): k for k in sorted(used)}
        return Batch(form, out, sorted(name(k) for k in set(arrays) - used), keys)

    if not logits_form:
        b = None
        for key in LOGP_KEYS if reference else LOGP_KEYS[:2]:
            a = _numeric(where, name(key), need(key), "float")
            if b is None:
                if a.ndim != 1 or a.shape[0] == 0:
                    raise _fail(
                        where, name(key), f"has shape {a.shape}, expected (B,) with B ≥ 1 (one log-prob per pair)"
                    )
                b = a.shape[0]
            _shape(where, name(key), a, (b,), f"(one log-prob per pair, like {name('policy_chosen_logps')})")
            _log_probabilities(where, name(key), a)
            out[key] = _float(a)
        present = [k for k in LENGTH_KEYS if k in arrays]
        if len(present) == 1:
            missing = next(k for k in LENGTH_KEYS if k not in arrays)
            raise _fail(where, missing, f"is missing (given {present[0]!r}; give both token counts or neither)")
        for key in present:
            a = _numeric(where, key, arrays[key], "float")
            _shape(where, key, a, (b,), "(one token count per pair)")
            if np.any(a <= 0):
                raise _fail(where, key, f"has a non-positive token count {float(a[a <= 0][0])!r}; counts must be ≥ 1")
            out[key] = _float(a)
        return batch(set(out), "logps")

    used: set[str] = set()
    b = v = None
    dtype = None
    for side in SIDES:
        lk, yk, mk = f"policy_{side}_logits", f"{side}_labels", f"{side}_mask"
        logits = _numeric(where, lk, need(lk), "float")
        if logits.ndim != 3 or 0 in logits.shape:
            raise _fail(where, lk, f"has shape {logits.shape}, expected (B, T, V) with no empty axis")
        if b is None:
            b, v, dtype = logits.shape[0], logits.shape[2], logits.dtype
        _shape(where, lk, logits, (b, None, v), "(the same B and V as policy_chosen_logits)")
        t = logits.shape[1]
        labels = _numeric(where, yk, need(yk), "int")
        _shape(where, yk, labels, (b, t), f"(B, T) matching {lk}")
        if labels.size and (labels.min() < 0 or labels.max() >= v):
            bad = np.argwhere((labels < 0) | (labels >= v))[0]
            raise _fail(
                where,
                yk,
                f"has token id {int(labels[tuple(bad)])} at index {tuple(int(i) for i in bad)}, "
                f"outside [0, {v}) (the vocabulary size V of {lk})",
            )
        mask = _numeric(where, mk, need(mk), "float")
        _shape(where, mk, mask, (b, t), f"(B, T) matching {lk}")
        if not np.all((mask == 0) | (mask == 1)):
            raise _fail(where, mk, "must hold only 0 and 1 (1 = counted response token)")
        empty = np.flatnonzero(mask.sum(axis=1) == 0)
        if empty.size:
            raise _fail(where, mk, f"row {int(empty[0])} counts no token; every response needs at least one")
        out.update({lk: _float(logits), yk: labels, mk: mask})
        used |= {lk, yk, mk}
        rk_logits, rk_logps = f"reference_{side}_logits", f"reference_{side}_logps"
        if not reference:
            continue
        if rk_logits in arrays:
            ref = _numeric(where, rk_logits, arrays[rk_logits], "float")
            _shape(where, rk_logits, ref, logits.shape, f"(the shape of {lk})")
            out[rk_logits] = _float(ref)
            used.add(rk_logits)
        elif rk_logps in arrays:
            ref = _numeric(where, name(rk_logps), arrays[rk_logps], "float")
            _shape(where, name(rk_logps), ref, (b,), "(one log-prob per pair)")
            _log_probabilities(where, name(rk_logps), ref)
            out[rk_logps] = _float(ref)
            used.add(rk_logps)
        else:
            raise _fail(where, rk_logps, f"is missing (give {rk_logps} (B,) or {rk_logits} (B, T, V))")
    if out["policy_rejected_logits"].dtype != dtype:
        raise _fail(
            where, "policy_rejected_logits", f"has dtype {out['policy_rejected_logits'].dtype}, expected {dtype}"
        )
    return batch(used, "logits")


def load_batch(path: str, reference: bool = True) -> Batch:
    """Read and validate the ``.npz`` batch at ``path`` (never unpickles); see :func:`validate`."""
    return validate(_read(path), where=path, reference=reference)
