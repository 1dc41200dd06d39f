"""The derivative of the logistic sigmoid, and its zero-temperature limit.

Source: I. Goodfellow, Y. Bengio, A. Courville, "Deep Learning", MIT Press 2016, §3.10
("Useful Properties of Common Functions"), eq. (3.34): d/dx σ(x) = σ(x)(1 − σ(x)); §3.10 also
notes that σ saturates for large |x|, so σ(d/t) with d > 0 tends to the step 1 as the temperature t → 0⁺ and
to 0 as t → 0⁻: the two-sided limit does not exist.

Planted errors: σ(1 + σ) for the derivative; the zero-temperature limit claimed two-sided, and
claimed from the wrong side.
"""

from __future__ import annotations

import sympy as sp

from verify import Derivation, Equal, Limit, Source, Step, sigmoid, var
from verify.domains import POSITIVE, REAL

SOURCE = Source("Goodfellow, Bengio, Courville 2016, Deep Learning", "§3.10")

x = var("x", REAL, "x")
d = var("d", POSITIVE, "d")
t = var("t", REAL, "t")

DERIVATIONS = [
    Derivation(
        id="unseen_softplus_sigmoid",
        title="Deep Learning §3.10: the sigmoid's derivative and saturation",
        source=SOURCE,
        steps=[
            Step(
                "sigmoid_derivative",
                Equal(sp.Derivative(sigmoid(x), x), sigmoid(x) * (1 - sigmoid(x))),
                "differentiate 1/(1 + e^{−x})",
                "eq. (3.34)",
            ),
            Step(
                "sigmoid_derivative_sign_flipped",
                Equal(sp.Derivative(sigmoid(x), x), sigmoid(x) * (1 + sigmoid(x))),
                "planted: 1 + σ instead of 1 − σ",
                "eq. (3.34)",
                expected="refuted",
            ),
            Step(
                "zero_temperature_from_above",
                Limit(sigmoid(d / t), t, 0, 1, direction="+"),
                "d/t → +∞ as t → 0⁺",
                "§3.10, saturation",
            ),
            Step(
                "zero_temperature_from_below",
                Limit(sigmoid(d / t), t, 0, 0, direction="-"),
                "d/t → −∞ as t → 0⁻",
                "§3.10, saturation",
            ),
            Step(
                "zero_temperature_two_sided",
                Limit(sigmoid(d / t), t, 0, 1),
                "planted: for a real t the default is two-sided, and from below the limit is 0",
                "§3.10",
                expected="refuted",
            ),
            Step(
                "zero_temperature_wrong_side",
                Limit(sigmoid(d / t), t, 0, 1, direction="-"),
                "planted: the limit from below claimed to be the step's upper value",
                "§3.10",
                expected="refuted",
            ),
        ],
    )
]
