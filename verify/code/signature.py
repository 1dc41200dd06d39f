"""Which argument of the user's function is which canonical input.

Canonical inputs (the loss checker's variables): ``logp_w``, ``logp_l`` (policy log-probabilities
of the preferred and rejected response), ``ref_logp_w``, ``ref_logp_l`` (reference) and
``len_w``, ``len_l`` (response lengths); token-level, per-token log-probabilities of shape (B, T)
``token_logp_w``, ``token_logp_l``, ``ref_token_logp_w``, ``ref_token_logp_l`` with the masks
``mask_w``, ``mask_l`` (True on the response's tokens; see :mod:`verify.code.tokens`).
Recognised names: TRL's ``dpo_loss(chosen_logps,
rejected_logps, ref_chosen_logps, ref_rejected_logps)``, the older ``policy_chosen_logps, …,
reference_rejected_logps``, and the canonical names themselves; anything else is mapped with
``--map ARG=logp_w`` or bound to a value with ``--param NAME=VALUE``.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from verify.code.load import CodeInputError
from verify.code.tokens import TOKEN_INPUTS, TOKEN_SOURCES

SEQUENCE_INPUTS: tuple[str, ...] = ("logp_w", "logp_l", "ref_logp_w", "ref_logp_l", "len_w", "len_l")
INPUTS: tuple[str, ...] = SEQUENCE_INPUTS + TOKEN_INPUTS

ALIASES: dict[str, str] = {}
for _canon, _names in {
    "logp_w": "chosen_logps policy_chosen_logps chosen_logp policy_chosen_logp pi_chosen_logps chosen_log_probs "
    "policy_chosen_log_probs logps_w logp_chosen",
    "logp_l": "rejected_logps policy_rejected_logps rejected_logp policy_rejected_logp pi_rejected_logps "
    "rejected_log_probs policy_rejected_log_probs logps_l logp_rejected",
    "ref_logp_w": "ref_chosen_logps reference_chosen_logps ref_chosen_logp reference_chosen_logp "
    "ref_chosen_log_probs ref_logps_w",
    "ref_logp_l": "ref_rejected_logps reference_rejected_logps ref_rejected_logp reference_rejected_logp "
    "ref_rejected_log_probs ref_logps_l",
    "len_w": "chosen_lengths chosen_length chosen_lens chosen_len len_chosen",
    "len_l": "rejected_lengths rejected_length rejected_lens rejected_len len_rejected",
    "token_logp_w": "chosen_token_logps policy_chosen_token_logps chosen_per_token_logps policy_chosen_per_token_logps "
    "per_token_chosen_logps chosen_token_log_probs token_logps_w",
    "token_logp_l": "rejected_token_logps policy_rejected_token_logps rejected_per_token_logps "
    "policy_rejected_per_token_logps per_token_rejected_logps rejected_token_log_probs token_logps_l",
    "ref_token_logp_w": "ref_chosen_token_logps reference_chosen_token_logps ref_chosen_per_token_logps "
    "reference_chosen_per_token_logps",
    "ref_token_logp_l": "ref_rejected_token_logps reference_rejected_token_logps ref_rejected_per_token_logps "
    "reference_rejected_per_token_logps",
    "mask_w": "chosen_mask chosen_attention_mask chosen_loss_mask chosen_labels_mask mask_chosen",
    "mask_l": "rejected_mask rejected_attention_mask rejected_loss_mask rejected_labels_mask mask_rejected",
}.items():
    for _n in (_canon, *_names.split()):
        ALIASES[_n] = _canon


@dataclass
class Binding:
    """How to call the function: canonical input → argument name, and the arguments bound to values."""

    inputs: dict[str, str]
    fixed: dict[str, object] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)

    @property
    def sequence(self) -> tuple[str, ...]:
        """The sequence-level inputs the function depends on (a token input depends on its log-probability
        and its length: the number of unmasked tokens)."""
        need = set()
        for canon in self.inputs:
            need.update(x for x in TOKEN_SOURCES.get(canon, (canon,)) if x is not None)
        return tuple(x for x in SEQUENCE_INPUTS if x in need)

    @property
    def tokens(self) -> bool:
        """Does the function take token-level inputs (per-token log-probabilities or masks)?"""
        return any(canon in TOKEN_SOURCES for canon in self.inputs)

    @property
    def uses_reference(self) -> bool:
        return "ref_logp_w" in self.sequence or "ref_logp_l" in self.sequence

    @property
    def uses_lengths(self) -> bool:
        return "len_w" in self.sequence or "len_l" in self.sequence

    def value(self, name: str) -> object | None:
        """The value an argument will have: bound, else its default, else None."""
        return self.fixed.get(name, self.defaults.get(name))


def _parameters(fn: Callable) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise CodeInputError(f"cannot read the signature of {fn!r}; wrap it in a def with named arguments") from None


def _positional_only(fn: Callable) -> tuple[str, ...]:
    """The names of ``fn``'s positional-only parameters (none for a builtin without a signature)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in params if p.kind is p.POSITIONAL_ONLY)


_cached_positional_only = functools.lru_cache(maxsize=64)(_positional_only)


def call(fn: Callable, kwargs: Mapping[str, object]) -> object:
    """``fn`` called with its arguments by name, except the positional-only ones (``def f(a, b, /)``),
    passed by position in the signature's order (read once per function: the checker calls it thousands
    of times)."""
    try:
        first = _cached_positional_only(fn)
    except TypeError:  # an unhashable callable
        first = _positional_only(fn)
    if not first:
        return fn(**kwargs)
    rest = {k: v for k, v in kwargs.items() if k not in first}
    return fn(*(kwargs[n] for n in first if n in kwargs), **rest)


def bind(fn: Callable, params: Mapping[str, object], mapping: Mapping[str, str] | None = None) -> Binding:
    """Map ``fn``'s arguments to canonical inputs (``mapping``: argument → canonical) and bind ``params``.

    ``params`` that are not arguments of ``fn`` are left for the formula. Raises
    :class:`CodeInputError` for an argument that is neither an input nor bound nor defaulted.
    """
    mapping = dict(mapping or {})
    for arg, canon in mapping.items():
        if canon not in INPUTS:
            raise CodeInputError(f"--map {arg}={canon}: {canon!r} is not one of {', '.join(INPUTS)}")
    inputs: dict[str, str] = {}
    fixed: dict[str, object] = {}
    defaults: dict[str, object] = {}
    names = []
    variadic = []
    for p in _parameters(fn):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            variadic.append(("*" if p.kind == p.VAR_POSITIONAL else "**") + p.name)
            continue
        in_class = "." in getattr(fn, "__qualname__", "") and "<locals>" not in getattr(fn, "__qualname__", "")
        if p.name == "self" and not names and in_class and "self" not in params:  # Class.method: needs an instance
            raise CodeInputError(
                f"{getattr(fn, '__qualname__', 'the function')} is a method taken from its class; name it through "
                "an instance (module:instance.method), so that self is bound"
            )
        names.append(p.name)
        canon = mapping.get(p.name) or (ALIASES.get(p.name) if p.name not in params else None)
        if canon is not None:
            if canon in inputs:
                raise CodeInputError(f"arguments {inputs[canon]!r} and {p.name!r} both map to {canon}; use --map")
            inputs[canon] = p.name
        elif p.name in params:
            fixed[p.name] = params[p.name]
        elif p.default is not p.empty:
            defaults[p.name] = p.default
        else:
            raise CodeInputError(
                f"argument {p.name!r} of {getattr(fn, '__name__', 'the function')} is not a known input; "
                f"give --map {p.name}=logp_w|logp_l|ref_logp_w|ref_logp_l|len_w|len_l (or a token-level input: "
                f"token_logp_w, mask_w, …) or --param {p.name}=VALUE"
            )
    unknown = sorted(set(mapping) - set(names))
    if unknown:
        raise CodeInputError(f"--map names {', '.join(unknown)}, not an argument of the function")
    have = Binding(inputs).sequence
    for need in ("logp_w", "logp_l"):
        if need not in have and variadic:
            raise CodeInputError(
                f"{getattr(fn, '__name__', 'the function')} takes its inputs as {' and '.join(variadic)}, which "
                "cannot be told apart by name; give it named arguments (chosen_logps, rejected_logps, …) or wrap it "
                "in a function that has them"
            )
        if need not in have:
            raise CodeInputError(
                f"no argument of {getattr(fn, '__name__', 'the function')} is the policy's {need} "
                f"(arguments: {', '.join(names) or 'none'}); name it with --map ARG={need}"
            )
    return Binding(inputs, fixed, defaults)


_FRACTION = re.compile(r"^([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*/\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)$")


def parse_value(text: str) -> object:
    """A ``--param`` value as Python: an int, a float (``1/10`` too, as ``verify loss`` reads it),
    ``True``/``False``/``None``, else the string itself (a ``loss_type``)."""
    t = text.strip()
    for convert in (int, float):
        try:
            return convert(t)
        except ValueError:
            pass
    fraction = _FRACTION.match(t)
    if fraction and float(fraction.group(2)) != 0:
        return float(fraction.group(1)) / float(fraction.group(2))
    return {"true": True, "false": False, "none": None}.get(t.lower(), t)


def parse_pairs(items: list[str] | None, option: str) -> dict[str, str]:
    """``["NAME=VALUE", …]`` → ``{NAME: VALUE}`` (one-line errors naming ``option``)."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier() or not value:
            raise CodeInputError(f"{option} {item!r}: write {option} NAME=VALUE")
        out[name] = value
    return out
