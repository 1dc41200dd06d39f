"""verify: a symbolic derivation verifier for preference-optimization mathematics.

Public API for writing derivations: :class:`Derivation`, :class:`Step`, :class:`Source`,
the claim kinds (:class:`Equal`, :class:`EqualUpToConstant`, :class:`Solves`,
:class:`Inequality`, :class:`Stationary`, :class:`Limit`, :class:`ForSizes`,
:class:`Implies`, :class:`Reported`, :class:`AllOf`), symbol domains (:mod:`verify.domains`) and the extra
functions ``sigmoid``, ``logsigmoid``, ``softplus``; :func:`check_implementation` checks a
loss implementation (NumPy or PyTorch) against its formula and the preference properties.

The names are imported on first use (PEP 562), so that ``python -m verify all`` on an
unchanged repository answers from its run snapshot without importing SymPy or Hypothesis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "AllOf": "verify.model",
    "Derivation": "verify.model",
    "Equal": "verify.model",
    "EqualUpToConstant": "verify.model",
    "ForSizes": "verify.model",
    "Implies": "verify.model",
    "IndependentOf": "verify.model",
    "Inequality": "verify.model",
    "Limit": "verify.model",
    "Record": "verify.coverage",
    "Reported": "verify.model",
    "Solves": "verify.model",
    "Source": "verify.model",
    "Stationary": "verify.model",
    "Step": "verify.model",
    "Var": "verify.domains",
    "simplex": "verify.domains",
    "var": "verify.domains",
    "vector": "verify.domains",
    "logsigmoid": "verify.functions",
    "sigmoid": "verify.functions",
    "softplus": "verify.functions",
    "check_implementation": "verify.code.check",
}

__all__ = [  # noqa: RUF022 (the order of the table above)
    "AllOf",
    "Derivation",
    "Equal",
    "EqualUpToConstant",
    "ForSizes",
    "Implies",
    "IndependentOf",
    "Inequality",
    "Limit",
    "Record",
    "Reported",
    "Solves",
    "Source",
    "Stationary",
    "Step",
    "Var",
    "simplex",
    "var",
    "vector",
    "logsigmoid",
    "sigmoid",
    "softplus",
    "check_implementation",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from verify.code.check import check_implementation
    from verify.coverage import Record
    from verify.domains import Var, simplex, var, vector
    from verify.functions import logsigmoid, sigmoid, softplus
    from verify.model import (
        AllOf,
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
