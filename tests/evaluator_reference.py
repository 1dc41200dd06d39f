"""Independent references for the evaluator: every loss as a SymPy expression, evaluated in mpmath.

Written from the papers' formulas, separately from ``verify.evaluator.losses``; the tests compare
the NumPy values and analytic gradients against these expressions and their SymPy derivatives.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp

pw, pl, rw, rl, nw, nl = sp.symbols("pw pl rw rl nw nl", real=True)
beta = sp.Symbol("beta", positive=True)
eps, gamma, delta, kl, alpha = sp.symbols("eps gamma delta kl alpha", real=True)


class Softplus(sp.Function):
    """``log(1 + e^x)``, evaluated with ``log1p`` so that the reference keeps its digits."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return 1 / (1 + sp.exp(-self.args[0]))


def _ls(x: sp.Expr) -> sp.Expr:
    return -Softplus(-x)


def _s(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


_z = beta * ((pw - rw) - (pl - rl))
_aw, _al = pw / nw, pl / nl
_odds = (_aw - _al) - (sp.log(1 - sp.exp(_aw)) - sp.log(1 - sp.exp(_al)))

#: name → (expression, parameter symbols)
EXPRESSIONS: dict[str, tuple[sp.Expr, tuple[sp.Symbol, ...]]] = {
    "dpo": (-_ls(_z), ()),
    "cdpo": (-(1 - eps) * _ls(_z) - eps * _ls(-_z), (eps,)),
    "robust": ((-(1 - eps) * _ls(_z) + eps * _ls(-_z)) / (1 - 2 * eps), (eps,)),
    "ipo": (((pw - rw) - (pl - rl) - 1 / (2 * beta)) ** 2, ()),
    "hinge": (sp.Max(0, 1 - _z), ()),
    "simpo": (-_ls(beta * pw / nw - beta * pl / nl - gamma), (gamma,)),
    "nca_pair": (
        -_ls(beta * (pw - rw))
        - sp.Rational(1, 2) * _ls(-beta * (pw - rw))
        - sp.Rational(1, 2) * _ls(-beta * (pl - rl)),
        (),
    ),
    "sppo_hard": (((pw - rw) - 1 / (2 * beta)) ** 2 + ((pl - rl) + 1 / (2 * beta)) ** 2, ()),
    # 1 − σ(x) written as σ(−x): the same function, without cancellation in the reference
    "apo_zero": (_s(-beta * (pw - rw)) + _s(beta * (pl - rl)), ()),
    "apo_down": (_s(beta * (pw - rw)) + _s(-_z), ()),
    "bco_pair": (-_ls(beta * (pw - rw) - delta) - _ls(-(beta * (pl - rl) - delta)), (delta,)),
    "exo_pair": (
        _s(_z) * (_ls(_z) - sp.log(1 - eps)) + _s(-_z) * (_ls(-_z) - sp.log(eps)),
        (eps,),
    ),
    "kto_pair": (_s(-beta * ((pw - rw) - kl)) + _s(-beta * (kl - (pl - rl))), (kl,)),
    "orpo": (-_aw - beta * _ls(_odds), ()),
    # CPO (Xu et al. 2024, eq. 3 with TRL's token-mean NLL): reference-free sigmoid + α·NLL(chosen)
    "cpo": (-_ls(beta * (pw - pl)) - alpha * pw / nw, (alpha,)),
}

PARAM_VALUES = {"eps": 0.2, "gamma": 0.7, "delta": 0.3, "kl": 0.25, "alpha": 0.6}
_VARS = (pw, pl, rw, rl, nw, nl, beta)
_COMPILED: dict[str, tuple] = {}


def compiled(name: str):
    """``(f, df/dpw, df/dpl)`` lambdified for mpmath, arguments ``(pw, pl, rw, rl, nw, nl, beta, *params)``."""
    if name not in _COMPILED:
        expr, params = EXPRESSIONS[name]
        args = (*_VARS, *params)
        d_w = sp.diff(expr, pw)
        d_l = sp.diff(expr, pl)
        if name == "hinge":  # Max(0, ·) differentiates to Heaviside; use the subgradient 0 at the kink
            d_w, d_l = (e.replace(sp.Heaviside, lambda x, *_: sp.Piecewise((1, x > 0), (0, True))) for e in (d_w, d_l))
        modules = [{"Softplus": lambda x: mp.log1p(mp.exp(x))}, "mpmath"]
        _COMPILED[name] = (*(sp.lambdify(args, e, modules=modules) for e in (expr, d_w, d_l)), params)
    return _COMPILED[name]


def reference(name: str, pairs: dict[str, np.ndarray], b: float, params: dict[str, float], dps: int = 50):
    """Per-pair ``(loss, ∂/∂pw, ∂/∂pl)`` as float arrays, evaluated at ``dps`` digits."""
    f, dw, dl, psyms = compiled(name)
    n = len(pairs["pw"])
    out = np.empty((3, n))
    with mp.workdps(dps):
        for i in range(n):
            x = [mp.mpf(float(pairs[k][i])) for k in ("pw", "pl", "rw", "rl")]
            x += [mp.mpf(float(pairs.get(k, np.ones(n))[i])) for k in ("nw", "nl")]
            x += [mp.mpf(b)] + [mp.mpf(params[str(s)]) for s in psyms]
            out[:, i] = [float(g(*x)) for g in (f, dw, dl)]
    return out


def sequence_logps_reference(logits: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``Σ_t mask·(x[label] − log Σ_v e^{x_v})`` with mpmath, one token at a time."""
    out = []
    with mp.workdps(40):
        for b in range(logits.shape[0]):
            total = mp.mpf(0)
            for t in range(logits.shape[1]):
                if mask[b, t]:
                    row = [mp.mpf(float(v)) for v in logits[b, t]]
                    total += row[int(labels[b, t])] - mp.log(mp.fsum(mp.exp(v) for v in row))
            out.append(float(total))
    return np.array(out)
