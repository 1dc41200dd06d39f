"""A trainer's logged metrics, read from a file, beside the ones recomputed from its batch.

The file is JSON only, never evaluated: JSON lines (one object per logging step) or a
transformers/TRL ``trainer_state.json`` (its ``log_history`` list), or a single object. A metric
is read under TRL's name (``rewards/chosen``) or with the prefix a logger adds (``train/``,
``eval_``, ``eval/``). The record compared is the one whose ``step`` is ``--step`` when given,
else the last record holding any of the metrics; a training record (no prefix, or ``train/``) is
preferred to an evaluation record of the same step (``eval_loss`` averages the evaluation set, not
this batch), which is used only when no training record holds a metric. A metric passes when
``|logged − recomputed| ≤ rtol·max(|logged|, |recomputed|) + atol``.

Every problem with the file is a one-line :class:`~verify.errors.UsageError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.errors import UsageError

MAX_BYTES = 64 * 2**20
"""The largest metrics file read; a larger one is refused unread."""

PREFIXES = ("", "train/", "eval_", "eval/")
TRAINING = PREFIXES[:2]


@dataclass(frozen=True)
class MetricCheck:
    """One logged metric against its recomputed value."""

    name: str
    key: str  # the key it was read under
    logged: float
    recomputed: float
    passed: bool

    @property
    def error(self) -> float:
        """``|logged − recomputed|`` relative to the larger magnitude (absolute when both are 0)."""
        diff = abs(self.logged - self.recomputed)
        scale = max(abs(self.logged), abs(self.recomputed))
        return diff / scale if scale > 0 else diff

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "key": self.key,
            "logged": self.logged if math.isfinite(self.logged) else str(self.logged),
            "recomputed": self.recomputed,
            "relative_error": self.error if math.isfinite(self.error) else str(self.error),
            "passed": self.passed,
        }


def _records(path: str) -> list[dict[str, Any]]:
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise UsageError(f"--metrics {path!r} is not a file; give a JSON-lines log or trainer_state.json")
        if size > MAX_BYTES:
            raise UsageError(f"--metrics {path!r} has {size:,} bytes, more than the limit of {MAX_BYTES:,}")
        raw = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read --metrics {path!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--metrics {path!r} is not UTF-8 text (JSON lines or trainer_state.json)") from None
    try:
        try:
            whole = json.loads(raw)
        except ValueError:  # JSONDecodeError, or an integer literal too long to convert
            whole = None
            lines = [(i, line) for i, line in enumerate(raw.splitlines(), 1) if line.strip()]
            records = []
            for i, line in lines:
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    why = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number too long"
                    raise UsageError(
                        f"--metrics {path!r} line {i} is not JSON ({why}); give JSON lines or trainer_state.json"
                    ) from None
    except RecursionError:
        raise UsageError(f"--metrics {path!r} is nested too deeply to be a metrics log") from None
    if whole is not None:
        if isinstance(whole, dict) and "log_history" in whole:
            records = whole["log_history"]
            if not isinstance(records, list):
                raise UsageError(f"--metrics {path!r}: log_history is not a list")
        elif isinstance(whole, list):
            records = whole
        else:
            records = [whole]
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise UsageError(f"--metrics {path!r}: record {i} is not a JSON object")
    return records


def _lookup(record: dict[str, Any], name: str, prefixes: tuple[str, ...] = PREFIXES) -> str | None:
    return next((prefix + name for prefix in prefixes if prefix + name in record), None)


def read_logged(path: str, names: tuple[str, ...], step: int | None = None) -> tuple[dict[str, tuple[str, float]], Any]:
    """The logged value of each of ``names`` found: name → (key, value); and the record's step."""
    records = _records(path)
    holding = [r for r in records if any(_lookup(r, n) for n in names)]
    if step is not None:
        holding = [r for r in holding if r.get("step") == step and not isinstance(r.get("step"), bool)]
        if not holding:
            raise UsageError(f"--metrics {path!r} has no record with step {step} holding any of: {', '.join(names)}")
    elif not holding:
        raise UsageError(f"--metrics {path!r} holds none of the metrics {', '.join(names)}")
    training = [r for r in holding if any(_lookup(r, n, TRAINING) for n in names)]
    record = (training or holding)[-1]
    out: dict[str, tuple[str, float]] = {}
    for name in names:
        key = _lookup(record, name)
        if key is None:
            continue
        value = record[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"--metrics {path!r}: {key!r} is {type(value).__name__}, not a number")
        try:
            out[name] = (key, float(value))
        except OverflowError:
            raise UsageError(f"--metrics {path!r}: {key!r} is an integer too large for a float") from None
    return out, record.get("step")


def compare(
    logged: dict[str, tuple[str, float]], recomputed: dict[str, float], rtol: float, atol: float
) -> list[MetricCheck]:
    """Each logged metric against its recomputed value; a non-finite logged value fails."""
    out = []
    for name, (key, value) in logged.items():
        mine = recomputed[name]
        ok = math.isfinite(value) and abs(value - mine) <= rtol * max(abs(value), abs(mine)) + atol
        out.append(MetricCheck(name, key, value, mine, ok))
    return out
