"""What people paste from code, mapped onto the loss language; each mapping is reported as an alias.

The parser (``verify.losses.parse``) consults these tables while it walks the syntax tree, so
nothing here evaluates text:

* module prefixes ``F.``, ``torch.``, ``torch.nn.functional.``, ``np.``, ``numpy.``, ``math.``,
  ``self.`` are stripped (``F.logsigmoid(x)`` → ``logsigmoid(x)``, ``self.beta`` → ``beta``);
  ``x.mean()``, ``x.sum()``, ``x.detach()``, ``x.float()`` are ``x`` (the loss of one pair);
  tensor methods are calls (``x.sigmoid()`` → ``sigmoid(x)``, ``x.pow(2)`` → ``pow(x, 2)``);
* function names from PyTorch/NumPy (``log_sigmoid``, ``max``, ``min``, ``maximum``, ``clamp``,
  ``clip``, ``expm1``, ``pow``, ``square``) map onto the allowed functions;
* Greek letters are spelled out (``β`` → ``beta``, ``σ(…)`` → ``sigmoid(…)``); U+2212 ``−``,
  ``×`` and ``·`` are ``-`` and ``*``;
* ``e`` and ``pi`` are the constants, not hyperparameters;
* TRL's variable names are the canonical variables or the margins they name
  (``chosen_logps`` → ``logp_w``, ``logits`` → the log-ratio margin).
"""

from __future__ import annotations

import sympy as sp

#: attribute chains whose prefix is dropped (longest first)
PREFIXES: tuple[str, ...] = (
    "torch.nn.functional",
    "self.args",
    "nn.functional",
    "torch",
    "numpy",
    "np",
    "math",
    "self",
    "F",
)

#: method calls without arguments that leave the value of one pair unchanged
NEUTRAL_METHODS: tuple[str, ...] = ("mean", "sum", "detach", "float", "squeeze")

#: tensor methods read as calls with the tensor as first argument (``x.sigmoid()`` → ``sigmoid(x)``)
TENSOR_METHODS: tuple[str, ...] = (
    "sigmoid",
    "logsigmoid",
    "softplus",
    "relu",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "tanh",
    "abs",
    "square",
    "pow",
    "clamp",
    "clip",
)

#: function names from PyTorch/NumPy/Python → a function of the loss language
FUNCTION_ALIASES: dict[str, str] = {
    "log_sigmoid": "logsigmoid",
    "max": "Max",
    "min": "Min",
    "maximum": "Max",
    "minimum": "Min",
    "fabs": "abs",
}

#: functions rewritten into others (name → description for the report)
REWRITTEN_FUNCTIONS: dict[str, str] = {
    "expm1": "expm1(x) → exp(x) - 1",
    "pow": "pow(x, y) → x**y",
    "square": "square(x) → x**2",
    "clamp": "clamp(x, lo, hi) → Min(Max(x, lo), hi)",
    "clip": "clip(x, lo, hi) → Min(Max(x, lo), hi)",
    "mean": "mean(x) → x (the loss of one pair is its own mean)",
}

#: Greek letters (as typed in papers) → names of the loss language
GREEK: dict[str, str] = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "eps",
    "ϵ": "eps",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}

#: Greek letters that are functions when called
GREEK_FUNCTIONS: dict[str, str] = {"σ": "sigmoid"}

#: characters read as operators
CHARACTERS: dict[str, str] = {"\u2212": "-", "×": "*", "·": "*", "⋅": "*"}

#: names that are constants
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}

LOG_RATIO_W = "(logp_w - ref_logp_w)"
LOG_RATIO_L = "(logp_l - ref_logp_l)"
MARGIN = f"({LOG_RATIO_W} - {LOG_RATIO_L})"

#: variable names (TRL's DPOTrainer, chosen/rejected spellings of the canonical names, and the
#: catalog's ``h``) → canonical text
VARIABLES: dict[str, str] = {
    "chosen_logps": "logp_w",
    "rejected_logps": "logp_l",
    "policy_chosen_logps": "logp_w",
    "policy_rejected_logps": "logp_l",
    "ref_chosen_logps": "ref_logp_w",
    "ref_rejected_logps": "ref_logp_l",
    "reference_chosen_logps": "ref_logp_w",
    "reference_rejected_logps": "ref_logp_l",
    "logp_chosen": "logp_w",
    "logp_rejected": "logp_l",
    "ref_logp_chosen": "ref_logp_w",
    "ref_logp_rejected": "ref_logp_l",
    "len_chosen": "len_w",
    "len_rejected": "len_l",
    "pi_logratios": "(logp_w - logp_l)",
    "ref_logratios": "(ref_logp_w - ref_logp_l)",
    "chosen_logratios": LOG_RATIO_W,
    "rejected_logratios": LOG_RATIO_L,
    "logits": MARGIN,
    "h": MARGIN,
    "chosen_rewards": f"beta*{LOG_RATIO_W}",
    "rejected_rewards": f"beta*{LOG_RATIO_L}",
}


def spell_characters(text: str) -> tuple[str, list[str]]:
    """``text`` with U+2212 minus and multiplication signs as ASCII operators; the replacements made."""
    notes = []
    for char, ascii_op in CHARACTERS.items():
        if char in text:
            text = text.replace(char, ascii_op)
            notes.append(f"{char} (U+{ord(char):04X}) → {ascii_op}")
    return text, notes


def greek_name(name: str, called: bool) -> str | None:
    """The ASCII name of a Greek identifier (``β`` → ``beta``; ``σ`` called → ``sigmoid``), else None."""
    if called and name in GREEK_FUNCTIONS:
        return GREEK_FUNCTIONS[name]
    if name and name[0] in GREEK:
        rest = name[1:]
        if all(ch in GREEK or ch.isascii() for ch in rest):
            return GREEK[name[0]] + "".join(GREEK.get(ch, ch) for ch in rest)
    return None


__all__ = [
    "CHARACTERS",
    "CONSTANTS",
    "FUNCTION_ALIASES",
    "GREEK",
    "NEUTRAL_METHODS",
    "PREFIXES",
    "REWRITTEN_FUNCTIONS",
    "TENSOR_METHODS",
    "VARIABLES",
    "greek_name",
    "spell_characters",
]
