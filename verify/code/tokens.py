"""Token-level inputs: per-token log-probabilities of shape (B, T) with a mask, built from sequence batches.

A trainer computes a response's log-probability as the sum of its per-token log-probabilities
over the unmasked tokens (or their mean, for length-normalised losses). For a function that
takes per-token log-probabilities, the checker builds them from a fuzzed sequence batch so that
the sums over unmasked tokens are exactly the sequence log-probabilities and the number of
unmasked tokens is the length:

    token[i, t] = logp[i] · w[i, t] for t < len[i] (w > 0, Σ_t w[i, t] = 1), mask[i, t] = (t < len[i]),

(with ``prompt``, the response starts after 1 to 5 masked prompt positions, as in a trainer's
completion mask; the padding check compares the two layouts)

and padded positions (t ≥ len[i], up to width max(len) + pad) hold garbage: finite negative
numbers that a correct loss never reads. The weights and the garbage of a row are a fixed
pseudo-random function of its length and the position (not of its place in the batch, so
permuting a batch permutes its token rows; nor of the width, so padding wider only appends
positions), and the token batch is a linear function of the sequence log-probabilities:
∂L/∂logp[i] = Σ_t ∂L/∂token[i, t] · w[i, t] (chain rule, exact).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: token-level canonical input → (the sequence log-probability it sums to, or None for a mask; the length)
TOKEN_SOURCES: dict[str, tuple[str | None, str]] = {
    "token_logp_w": ("logp_w", "len_w"),
    "token_logp_l": ("logp_l", "len_l"),
    "ref_token_logp_w": ("ref_logp_w", "len_w"),
    "ref_token_logp_l": ("ref_logp_l", "len_l"),
    "mask_w": (None, "len_w"),
    "mask_l": (None, "len_l"),
}
TOKEN_INPUTS: tuple[str, ...] = tuple(TOKEN_SOURCES)
MASK_INPUTS: tuple[str, ...] = tuple(k for k, (source, _) in TOKEN_SOURCES.items() if source is None)


@dataclass(frozen=True)
class Layout:
    """How sequence inputs become token inputs: at least ``pad`` padded columns past the longest response
    and at least ``min_width`` columns (one width for every fuzzed batch: a JAX function compiles once
    per shape), the garbage in padded positions drawn from ``garbage`` (low, high) with ``seed``."""

    pad: int = 5
    min_width: int = 208
    garbage: tuple[float, float] = (-30.0, -0.5)
    seed: int = 0
    fresh: frozenset[str] = frozenset()  # token inputs whose garbage is drawn anew (other values, same tokens)
    prompt: bool = False  # masked prompt positions before each response, as in a trainer's completion mask

    def lead(self, lengths: np.ndarray) -> np.ndarray:
        """Masked positions before each response: 0, or 1 to 5 (a function of the row's length, so a
        permuted batch permutes its rows)."""
        n = np.asarray(lengths, dtype=float)
        return 1 + n % 5 if self.prompt else np.zeros_like(n)

    def width(self, batch: Mapping[str, np.ndarray]) -> int:
        lengths = [np.asarray(batch[k]) for k in ("len_w", "len_l") if k in batch]
        return max(int(max(int(np.max(v + self.lead(v))) for v in lengths)) + self.pad, self.min_width)

    def mask(self, lengths: np.ndarray, width: int) -> np.ndarray:
        n = np.asarray(lengths, dtype=float)[:, None]
        t, start = np.arange(width)[None, :], self.lead(lengths)[:, None]
        return (t >= start) & (t < start + n)

    def _uniform(self, canon: str, lengths: np.ndarray, width: int, salt: int) -> np.ndarray:
        """Pseudo-random numbers in [0, 1) per (row length, position), reproducible and cheap."""
        t = np.arange(width, dtype=float)[None, :] + 1.0
        n = np.asarray(lengths, dtype=float)[:, None]
        x = 12.9898 * t + 78.233 * n + 37.719 * (TOKEN_INPUTS.index(canon) + 1) + 4.1414 * (salt + 7 * self.seed)
        return np.modf(np.abs(np.sin(x)) * 43758.5453)[0]

    def weights(self, canon: str, lengths: np.ndarray, width: int) -> np.ndarray:
        """Positive weights over the unmasked tokens of each row, summing to 1; 0 on padded positions."""
        u = (0.5 + self._uniform(canon, lengths, width, 0)) * self.mask(lengths, width)
        return u / u.sum(axis=1, keepdims=True)

    def filler(self, canon: str, lengths: np.ndarray, width: int) -> np.ndarray:
        low, high = self.garbage
        return low + (high - low) * self._uniform(canon, lengths, width, 1 + (canon in self.fresh))

    def build(self, canon: str, batch: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """The token input ``canon`` for ``batch`` and its weights (None for a mask)."""
        source, length = TOKEN_SOURCES[canon]
        lengths = np.asarray(batch[length])
        width = self.width(batch)
        mask = self.mask(lengths, width)
        if source is None:
            return mask, None
        w = self.weights(canon, lengths, width)
        garbage = self.filler(canon, lengths, width)
        return np.where(mask, np.asarray(batch[source], dtype=float)[:, None] * w, garbage), w


def sequence_gradient(token_grad: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """∂L/∂logp from ∂L/∂token by the chain rule through the layout (Σ_t ∂L/∂token[i, t]·w[i, t])."""
    return (np.asarray(token_grad) * weights).sum(axis=1)
