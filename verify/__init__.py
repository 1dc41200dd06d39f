"""verify: a symbolic derivation verifier for preference-optimization mathematics.

Public API for writing derivations: :class:`Derivation`, :class:`Step`, :class:`Source`,
the claim kinds (:class:`Equal`, :class:`EqualUpToConstant`, :class:`Solves`,
:class:`Inequality`, :class:`Stationary`, :class:`Limit`, :class:`ForSizes`,
:class:`Implies`, :class:`Reported`), symbol domains (:mod:`verify.domains`) and the extra
functions ``sigmoid``, ``logsigmoid``, ``softplus``.
"""

from verify.domains import Var, simplex, var, vector
from verify.functions import logsigmoid, sigmoid, softplus
from verify.model import (
    Derivation,
    Equal,
    EqualUpToConstant,
    ForSizes,
    Implies,
    IndependentOf,
    Inequality,
    Limit,
    Reported,
    Solves,
    Source,
    Stationary,
    Step,
)

__version__ = "0.1.0"

__all__ = [
    "Derivation",
    "Equal",
    "EqualUpToConstant",
    "ForSizes",
    "Implies",
    "IndependentOf",
    "Inequality",
    "Limit",
    "Reported",
    "Solves",
    "Source",
    "Stationary",
    "Step",
    "Var",
    "__version__",
    "logsigmoid",
    "sigmoid",
    "simplex",
    "softplus",
    "var",
    "vector",
]
