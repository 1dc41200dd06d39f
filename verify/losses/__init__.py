"""Loss checker: parse a preference loss, check its properties, explain violations.

``check_loss("-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))")`` returns a
:class:`~verify.losses.results.LossReport` whose ``verdict`` is ``ok``, ``warning`` or ``error``.
"""

from verify.losses.catalog import CATALOG, Variant
from verify.losses.check import check_catalog, check_loss, check_variant
from verify.losses.parse import LossSyntaxError, ParsedLoss, parse_expression, parse_loss, parse_params
from verify.losses.results import Counterexample, Evaluation, LossReport, PropertyResult

__all__ = [
    "CATALOG",
    "Counterexample",
    "Evaluation",
    "LossReport",
    "LossSyntaxError",
    "ParsedLoss",
    "PropertyResult",
    "Variant",
    "check_catalog",
    "check_loss",
    "check_variant",
    "parse_expression",
    "parse_loss",
    "parse_params",
]
