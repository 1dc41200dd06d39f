"""A whitelisting parser for loss expressions: Python's ``ast`` walked node by node into SymPy.

User text is never evaluated: :func:`ast.parse` only builds a syntax tree, and each allowed
node type (numbers, names, ``+ - * / ** ^``, unary minus, calls of whitelisted functions) is
turned into a SymPy object here. Anything else — attribute access, subscripts, dunder names,
keywords, lambdas, strings, comparisons — is rejected with a one-line :class:`LossSyntaxError`.

Canonical variables (DESIGN.md): ``logp_w``, ``logp_l``, ``ref_logp_w``, ``ref_logp_l`` (log
probabilities, ≤ 0), ``beta`` (> 0), ``len_w``, ``len_l`` (token counts, > 0). Every other name
is a hyperparameter (a real symbol); ``beta``, ``gamma``, ``lambda``, ``eps``, ``delta`` are
always symbols, never SymPy's special functions.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import re
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sympy as sp

from verify.domains import LOG_PROB, POSITIVE, POSITIVE_INTEGER
from verify.errors import UsageError
from verify.functions import logsigmoid, powered_latex, sigmoid, softplus
from verify.losses import aliases


class LossSyntaxError(UsageError):
    """A loss expression that is not in the accepted language (exit code 2)."""


#: the canonical variables of a loss, with their assumptions
LOGP_W = sp.Symbol("logp_w", real=True, nonpositive=True)
LOGP_L = sp.Symbol("logp_l", real=True, nonpositive=True)
REF_LOGP_W = sp.Symbol("ref_logp_w", real=True, nonpositive=True)
REF_LOGP_L = sp.Symbol("ref_logp_l", real=True, nonpositive=True)
BETA = sp.Symbol("beta", positive=True)
LEN_W = sp.Symbol("len_w", positive=True)
LEN_L = sp.Symbol("len_l", positive=True)
CANONICAL: dict[str, sp.Symbol] = {s.name: s for s in (LOGP_W, LOGP_L, REF_LOGP_W, REF_LOGP_L, BETA, LEN_W, LEN_L)}
#: the domain of each canonical variable, for the engine's checks (repair hints of a claimed gradient)
DOMAINS = {
    **dict.fromkeys(("logp_w", "logp_l", "ref_logp_w", "ref_logp_l"), LOG_PROB),
    "beta": POSITIVE,
    **dict.fromkeys(("len_w", "len_l"), POSITIVE_INTEGER),
}


def log1mexp(x: sp.Expr) -> sp.Expr:
    """``log(1 − e^x)`` for ``x < 0`` (the log-probability of the complement)."""
    return sp.log(1 - sp.exp(x))


def relu(x: sp.Expr) -> sp.Expr:
    """``max(x, 0)``."""
    return sp.Max(x, 0)


class stopgrad(sp.Function):  # noqa: N801 - the loss language's name
    r"""A stop-gradient: the value of its argument, derivative 0 (``.detach()``, ``jax.lax.stop_gradient``).

    A weight the training gradient must not flow through, e.g. ``stopgrad(sigmoid(-beta*h))``: every
    partial derivative of the loss treats it as a constant.
    """

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _eval_is_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        return self.args[0].is_positive

    def _eval_is_negative(self):
        return self.args[0].is_negative

    def _eval_is_nonnegative(self):
        return self.args[0].is_nonnegative

    def _eval_is_nonpositive(self):
        return self.args[0].is_nonpositive

    def _latex(self, printer, exp=None):
        return powered_latex(exp, rf"\operatorname{{sg}}\left({printer._print(self.args[0])}\right)")


def without_stopgrad(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every ``stopgrad(x)`` replaced by ``x`` (the same values; gradients through everything)."""
    return expr.replace(stopgrad, lambda x: x) if expr.has(stopgrad) else expr


#: function name → (arity, builder); arity None means two or more arguments
FUNCTIONS: dict[str, tuple[int | None, Callable[..., sp.Expr]]] = {
    "sigmoid": (1, sigmoid),
    "logsigmoid": (1, logsigmoid),
    "softplus": (1, softplus),
    "relu": (1, relu),
    "log1mexp": (1, log1mexp),
    "log": (1, sp.log),
    "exp": (1, sp.exp),
    "sqrt": (1, sp.sqrt),
    "tanh": (1, sp.tanh),
    "abs": (1, sp.Abs),
    "Abs": (1, sp.Abs),
    "log1p": (1, lambda x: sp.log(1 + x)),
    "Max": (None, sp.Max),
    "Min": (None, sp.Min),
    "stopgrad": (1, stopgrad),
}

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_MAGNITUDE = 10**6
"""The largest absolute value of a number in a loss or a hyperparameter: beyond it the checker's
float64 probes no longer resolve the loss's slope (a correct loss could read as a sign error)."""
MAX_EXPONENT = 64
"""The largest absolute numeric exponent (``x**2``, ``x**0.5``; ``9**9**9`` would never finish)."""
MAX_ARGUMENTS = 16
"""The most arguments of ``Max``/``Min`` (SymPy compares them pairwise)."""
_KEYWORD_SUFFIX = "_kw_"


def _fail(text: str, message: str, col: int | None = None) -> LossSyntaxError:
    where = f" at column {col + 1}" if col is not None else ""
    return LossSyntaxError(f"loss expression {text!r}: {message}{where}")


def _brackets(text: str) -> None:
    """A bracket closed without being opened, closed by the wrong kind, or never closed, with its column
    (the tokenizer says only "EOF in multi-line statement" for all three)."""
    pairs, opened = {")": "(", "]": "[", "}": "{"}, []
    for col, ch in enumerate(text):
        if ch in "([{":
            opened.append((ch, col))
        elif ch in pairs:
            if not opened:
                raise _fail(text, f"{ch!r} closes nothing", col)
            if opened.pop()[0] != pairs[ch]:
                raise _fail(text, f"{ch!r} closes a bracket of another kind", col)
    if opened:
        raise _fail(text, f"{opened[-1][0]!r} is never closed", opened[-1][1])


def _rename_keywords(text: str) -> str:
    """Let ``lambda`` (a Python keyword) stand for a symbol, reject an actual lambda, read ``^`` as ``**``."""
    _brackets(text)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise _fail(text, f"cannot tokenize ({exc.args[0]})") from None
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if tok.string == "lambda" and nxt is not None and (nxt.type == tokenize.NAME or nxt.string == ":"):
                raise _fail(text, "lambda functions are not allowed (write 'lambda' only as a hyperparameter)")
            if tok.string != "lambda":
                raise _fail(text, f"Python keyword {tok.string!r} is not allowed", tok.start[1])
            tok = tok._replace(string=tok.string + _KEYWORD_SUFFIX)
        elif tok.type == tokenize.OP and tok.string == "^":  # power, as in SymPy, with power's precedence
            tok = tok._replace(string="**")
        out.append(tok)
    return tokenize.untokenize(out)


def _number(value: object, text: str, col: int) -> sp.Expr:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(text, f"constant {value!r} is not a real number", col)
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(text, "a constant is not a finite number (too large for a float)", col)
    if abs(value) > MAX_MAGNITUDE:
        raise _fail(text, f"constant {_short(value)} is larger than {MAX_MAGNITUDE:g} in magnitude", col)
    if isinstance(value, int):
        return sp.Integer(value)
    try:
        return sp.Rational(str(Decimal(repr(value))))
    except (InvalidOperation, ValueError, TypeError):
        raise _fail(text, f"constant {value!r} is not a finite number", col) from None


def _short(value: object) -> str:
    """A number for a message: huge integers are not printed in full."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"of {len(str(abs(value))) if value.bit_length() < 10_000 else 'thousands of'} digits"
    return f"{value!r}"


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _strip_prefix(node: ast.Attribute) -> tuple[str, str] | None:
    """``(prefix, name)`` when ``node`` is ``PREFIX.name`` for a module prefix people paste from code."""
    chain = _dotted(node.value)
    return (chain, node.attr) if chain in aliases.PREFIXES else None


@dataclass
class ParsedLoss:
    """A parsed loss: the expression, its hyperparameters and every alias that was applied."""

    expr: sp.Expr
    hyperparameters: dict[str, sp.Symbol]
    aliases: list[str] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)

    @property
    def understood(self) -> str:
        """The expression as the checker understood it (canonical names, SymPy's spelling)."""
        return sp.sstr(self.expr)


class _Builder:
    def __init__(self, text: str, symbols: dict[str, sp.Symbol]):
        self.text = text
        self.symbols = symbols
        self.hyperparameters: dict[str, sp.Symbol] = {}
        self.definitions: dict[str, sp.Expr] = {}
        self.aliases: list[str] = []

    def alias(self, note: str) -> None:
        if note not in self.aliases:
            self.aliases.append(note)

    def ascii_name(self, raw: str, col: int | None, called: bool = False) -> str:
        name = raw[: -len(_KEYWORD_SUFFIX)] if raw.endswith(_KEYWORD_SUFFIX) else raw
        if not name.isascii():
            spelled = aliases.greek_name(name, called)
            if spelled is None:
                raise _fail(
                    self.text, f"name {name!r} is not allowed (ASCII names, or Greek letters such as β, γ, σ)", col
                )
            self.alias(f"{name} → {spelled}")
            name = spelled
        if name.startswith("_") or "__" in name or not _NAME.match(name):
            raise _fail(self.text, f"name {name!r} is not allowed (names start with a letter, no '__')", col)
        return name

    def name(self, raw: str, col: int | None) -> sp.Expr:
        name = self.ascii_name(raw, col)
        if name in self.definitions:
            return self.definitions[name]
        if name in FUNCTIONS or name in aliases.FUNCTION_ALIASES or name in aliases.REWRITTEN_FUNCTIONS:
            raise _fail(self.text, f"{name!r} is a function; call it as {name}(...)", col)
        if name in self.symbols:
            return self.symbols[name]
        if name in aliases.VARIABLES:
            text = aliases.VARIABLES[name]
            self.alias(f"{name} → {text}")
            return parse_expression(text)[0]
        if name in aliases.CONSTANTS:
            value = aliases.CONSTANTS[name]
            self.alias(f"{name} → the constant {name} = {float(value):.6g}")
            return value
        if name not in self.hyperparameters:
            self.hyperparameters[name] = sp.Symbol(name, real=True)
        return self.hyperparameters[name]

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise _fail(self.text, f"nested deeper than {MAX_DEPTH} levels")
        col = getattr(node, "col_offset", None)
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            return _number(node.value, self.text, node.col_offset)
        if isinstance(node, ast.Name):
            return self.name(node.id, node.col_offset)
        if isinstance(node, ast.Attribute) and (stripped := _strip_prefix(node)) is not None:
            self.alias(f"{stripped[0]}.{stripped[1]} → {stripped[1]}")
            return self.name(stripped[1], node.col_offset)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            arg = self.build(node.operand, depth + 1)
            return -arg if isinstance(node.op, ast.USub) else arg
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            op = node.op
            if isinstance(op, ast.Add):
                return left + right
            if isinstance(op, ast.Sub):
                return left - right
            if isinstance(op, ast.Mult):
                return left * right
            if isinstance(op, ast.Div):
                if right == 0:
                    raise _fail(self.text, "division by zero", col)
                return left / right
            if isinstance(op, ast.Pow):
                return self.power(left, right, col)
            raise _fail(self.text, f"operator {type(op).__name__} is not allowed (use + - * / ** ^)", col)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        what = {
            ast.Attribute: "attribute access",
            ast.Subscript: "subscripts",
            ast.Lambda: "lambda functions",
            ast.Compare: "comparisons",
            ast.BoolOp: "boolean operators",
            ast.IfExp: "conditional expressions",
        }.get(type(node), f"{type(node).__name__} syntax")
        raise _fail(self.text, f"not allowed: {what} (only numbers, names, + - * / ** and allowed functions)", col)

    def _function_name(self, node: ast.Call) -> str:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in aliases.NEUTRAL_METHODS and not node.args and not node.keywords:
                return "." + func.attr
            stripped = _strip_prefix(func)
            if stripped is None:
                raise _fail(
                    self.text, "not allowed: attribute access (call the allowed functions by name)", node.col_offset
                )
            self.alias(f"{stripped[0]}.{stripped[1]} → {stripped[1]}")
            raw = stripped[1]
        elif isinstance(func, ast.Name):
            raw = func.id
        else:
            raise _fail(self.text, "only calls of the allowed functions by name are allowed", node.col_offset)
        fname = self.ascii_name(raw, node.col_offset, called=True)
        if fname in aliases.FUNCTION_ALIASES:
            self.alias(f"{fname} → {aliases.FUNCTION_ALIASES[fname]}")
            fname = aliases.FUNCTION_ALIASES[fname]
        return fname

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in aliases.TENSOR_METHODS
            and _strip_prefix(func) is None
            and not (func.attr in aliases.NEUTRAL_METHODS and not node.args)
        ):
            self.alias(f"x.{func.attr}(…) → {func.attr}(x, …)")
            as_call = ast.Call(func=ast.Name(id=func.attr, ctx=ast.Load()), args=[func.value, *node.args])
            as_call.keywords = node.keywords
            ast.copy_location(as_call, node)
            ast.copy_location(as_call.func, node)
            return self.call(as_call, depth + 1)
        fname = self._function_name(node)
        if fname.startswith("."):
            self.alias(f"{fname}() dropped (the loss of one pair is its own batch value)")
            return self.build(node.func.value, depth + 1)  # type: ignore[attr-defined]
        if fname in aliases.REWRITTEN_FUNCTIONS:
            return self.rewritten(fname, node, depth)
        if fname not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise _fail(self.text, f"unknown function {fname!r} (allowed: {allowed})", node.col_offset)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _fail(self.text, f"{fname}() takes positional arguments only", node.col_offset)
        arity, builder = FUNCTIONS[fname]
        n = len(node.args)
        if (arity is not None and n != arity) or (arity is None and not 2 <= n <= MAX_ARGUMENTS):
            need = f"{arity}" if arity is not None else f"2 to {MAX_ARGUMENTS}"
            raise _fail(self.text, f"{fname}() takes {need} argument(s), got {n}", node.col_offset)
        return builder(*(self.build(a, depth + 1) for a in node.args))

    def power(self, left: sp.Expr, right: sp.Expr, col: int | None) -> sp.Expr:
        """``left**right`` within the budget: a numeric exponent of at most :data:`MAX_EXPONENT` and a
        numeric result of at most :data:`MAX_MAGNITUDE` (``9**9**9`` is refused, never computed)."""
        if right.is_Number and abs(right) > MAX_EXPONENT:
            raise _fail(self.text, f"exponent {right} is larger than {MAX_EXPONENT} in magnitude", col)
        power = left**right
        if power.is_Number and (power.is_infinite or abs(power) > MAX_MAGNITUDE):
            raise _fail(self.text, f"{left}**{right} is larger than {MAX_MAGNITUDE:g} in magnitude", col)
        return power

    def rewritten(self, fname: str, node: ast.Call, depth: int) -> sp.Expr:
        """``expm1``, ``pow``, ``square``, ``clamp``/``clip`` (bounds positional or as min=/max=)."""
        self.alias(aliases.REWRITTEN_FUNCTIONS[fname])
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _fail(self.text, f"{fname}() takes no *arguments", node.col_offset)
        args = [self.build(a, depth + 1) for a in node.args]
        if fname in ("clamp", "clip"):
            bounds: dict[str, sp.Expr | None] = {"min": None, "max": None}
            for key, value in zip(("min", "max"), args[1:], strict=False):
                bounds[key] = value
            for kw in node.keywords:
                key = {"a_min": "min", "a_max": "max"}.get(kw.arg or "", kw.arg or "")
                if key not in bounds or bounds[key] is not None:
                    raise _fail(self.text, f"{fname}() takes (x, min, max) or min=/max=", node.col_offset)
                bounds[key] = self.build(kw.value, depth + 1)
            if len(args) not in (1, 2, 3) or (bounds["min"] is None and bounds["max"] is None):
                raise _fail(self.text, f"{fname}() needs x and at least one of min, max", node.col_offset)
            out = args[0]
            if bounds["min"] is not None:
                out = sp.Max(out, bounds["min"])
            if bounds["max"] is not None:
                out = sp.Min(out, bounds["max"])
            return out
        if node.keywords:
            raise _fail(self.text, f"{fname}() takes positional arguments only", node.col_offset)
        need = {"expm1": 1, "pow": 2, "square": 1, "mean": 1}[fname]
        if len(args) != need:
            raise _fail(self.text, f"{fname}() takes {need} argument(s), got {len(args)}", node.col_offset)
        if fname == "expm1":
            return sp.exp(args[0]) - 1
        if fname == "pow":
            return self.power(args[0], args[1], node.col_offset)
        if fname == "mean":
            return args[0]
        return args[0] ** 2

    def expression(self, text: str) -> sp.Expr:
        """One statement's expression; errors quote that expression (columns count from it)."""
        whole, self.text = self.text, text.strip()
        try:
            source = _rename_keywords(self.text)
            try:
                tree = ast.parse(source.strip(), mode="eval")
            except SyntaxError as exc:
                col = (exc.offset - 1) if exc.offset else None
                raise _fail(self.text, f"syntax error ({exc.msg})", col) from None
            except ValueError as exc:  # e.g. an integer literal of more than 4300 digits
                raise _fail(self.text, f"cannot be read ({exc})") from None
            return self.build(tree)
        finally:
            self.text = whole

    def define(self, name: str, text: str, where: str) -> None:
        name = self.ascii_name(name.strip(), None)
        if name in self.symbols:
            raise _fail(self.text, f"{where}: {name!r} is a canonical variable and cannot be defined")
        if name in FUNCTIONS or name in aliases.FUNCTION_ALIASES or name in aliases.REWRITTEN_FUNCTIONS:
            raise _fail(self.text, f"{where}: {name!r} is a function and cannot be defined")
        if name in self.definitions:
            raise _fail(self.text, f"{where}: {name!r} is defined twice")
        if not text.strip():
            raise _fail(self.text, f"{where}: {name} = has no expression")
        self.definitions[name] = self.expression(text)


def _statements(text: str) -> list[str]:
    """``text`` split at ``;`` and line ends outside brackets; ``# comments`` and ``\\`` continuations removed."""
    text = re.sub(r"#[^\n]*", "", text).replace("\\\n", " ")
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ";\n" and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [s.replace("\n", " ") for s in out]


_DEFINITION = re.compile(r"^\s*([^\W\d]\w*)\s*=(?!=)(.*)$", re.DOTALL)
LOSS_NAMES = ("loss", "losses", "L")


def parse_loss(
    text: str, symbols: dict[str, sp.Symbol] | None = None, defines: Mapping[str, str] | None = None
) -> ParsedLoss:
    """Parse ``text`` (``NAME = EXPR`` definitions separated by ``;`` or newlines, then the loss).

    ``defines`` are definitions given apart from the text (``--define NAME=EXPR``), read first.
    The last statement is the loss, bare or as ``loss = EXPR``. Definitions are substituted as
    parsed expressions; their names must not be canonical variables or functions.
    """
    if not isinstance(text, str) or not text.strip():
        raise LossSyntaxError("loss expression is empty; write e.g. '-logsigmoid(beta*(logp_w - logp_l))'")
    if len(text) > MAX_LENGTH:
        raise _fail(text[:40] + "…", f"longer than {MAX_LENGTH} characters")
    spelled, notes = aliases.spell_characters(text)
    builder = _Builder(text, dict(CANONICAL if symbols is None else symbols))
    for note in notes:
        builder.alias(note)
    for name, body in (defines or {}).items():
        builder.define(name, aliases.spell_characters(body)[0], f"--define {name}")
    statements = [s for s in _statements(spelled) if s.strip()]
    if not statements:
        raise LossSyntaxError("loss expression is empty; write e.g. '-logsigmoid(beta*(logp_w - logp_l))'")
    expr = None
    for k, statement in enumerate(statements):
        last = k == len(statements) - 1
        m = _DEFINITION.match(statement)
        if m and not (last and m.group(1) in LOSS_NAMES):
            if last:
                raise _fail(text, f"the last statement defines {m.group(1)!r}; end with the loss (or loss = ...)")
            builder.define(m.group(1), m.group(2), f"definition of {m.group(1)}")
        elif not last:
            raise _fail(
                text, f"statement {statement.strip()!r} is not a definition NAME = EXPR (only the last one is the loss)"
            )
        else:
            expr = builder.expression(m.group(2) if m else statement)
    assert expr is not None
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _fail(text, "the expression is undefined (division by zero or infinity)")
    used = {s.name for s in expr.free_symbols}
    hyper = {k: v for k, v in builder.hyperparameters.items() if k in used}
    shown = {k: sp.sstr(v) for k, v in builder.definitions.items()}
    return ParsedLoss(expr, hyper, builder.aliases, shown)


def parse_expression(text: str, symbols: dict[str, sp.Symbol] | None = None) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """Parse ``text`` into a SymPy expression; returns it with the hyperparameter symbols it uses.

    ``symbols`` maps names to fixed symbols (default: the canonical variables).
    """
    parsed = parse_loss(text, symbols)
    return parsed.expr, parsed.hyperparameters


def parse_value(name: str, text: str) -> sp.Rational:
    """The value of hyperparameter ``name`` from ``text`` (a decimal number or a fraction ``a/b``)."""
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            value = sp.Rational(sp.Rational(str(Decimal(num.strip()))), sp.Rational(str(Decimal(den.strip()))))
        else:
            d = Decimal(text.strip())
            if not d.is_finite():
                raise InvalidOperation
            value = sp.Rational(str(d))
    except (InvalidOperation, ValueError, ZeroDivisionError, TypeError):
        raise UsageError(f"--param {name}={text!r}: the value must be a finite number such as 0.1 or 1/3") from None
    if not value.is_finite:  # a/0
        raise UsageError(f"--param {name}={text!r}: the value is undefined (division by zero)")
    if abs(value) > MAX_MAGNITUDE:
        raise UsageError(
            f"--param {name}={text!r}: |value| must be at most {MAX_MAGNITUDE:g} "
            "(beyond it the checker's probes do not resolve the loss's slope)"
        )
    return value


def parse_defines(items: list[str] | None) -> dict[str, str]:
    """``["h=logp_w - logp_l", …]`` → ``{"h": "logp_w - logp_l"}`` (parsed later with the loss)."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, body = item.partition("=")
        name = name.strip()
        if not sep or not body.strip():
            raise UsageError(f"--define {item!r} has no expression; write --define {name or 'NAME'}=EXPR")
        if name in out:
            raise UsageError(f"--define {name} is given twice")
        out[name] = body
    return out


def parse_params(items: list[str] | None) -> dict[str, sp.Rational]:
    """``["gamma=0.5", …]`` → ``{"gamma": 1/2}``; a name without a value is an error; Greek names spelled out."""
    out: dict[str, sp.Rational] = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--param {item!r} has no value; write --param {item.strip() or 'NAME'}=VALUE")
        name, value = (s.strip() for s in item.split("=", 1))
        name = aliases.greek_name(name, False) or name
        if not _NAME.match(name) or "__" in name:
            raise UsageError(f"--param {item!r}: {name!r} is not a valid hyperparameter name")
        if name in CANONICAL:
            raise UsageError(f"--param {item!r}: {name!r} is a canonical variable of the loss, not a hyperparameter")
        if not value:
            raise UsageError(f"--param {item!r} has no value; write --param {name}=VALUE")
        if name in out:
            raise UsageError(f"--param {name} is given twice")
        out[name] = parse_value(name, value)
    return out
