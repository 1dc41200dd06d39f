"""Compile SymPy expressions to an evaluation tape run with mpmath.

The expression DAG is flattened once into a list of unique nodes in dependency order, so
shared subexpressions (a partition function used in every term, say) are computed once. The
list is then turned into one straight-line Python function (one assignment per node), which
evaluates a point without per-node dispatch. This replaces ``lambdify``, whose code printer is
slow for the thousand-term expressions that distribution identities produce.

Every node computes what the plain reading of the expression does at the working precision:
a sum of more than two terms is added with a single rounding (``mpmath.fsum``), a product is
multiplied left to right, constants are converted at the working precision (once per
precision, then reused).

:meth:`Tape.evaluate` returns an :class:`Evaluation`; the largest intermediate magnitude (which
bounds the rounding error of the outputs) is only computed when asked for.
:meth:`Tape.float_bounds` evaluates the same nodes in float64 together with a bound on each
result's error, for screens that must be cheap and must not be fooled by rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import mpmath
import sympy as sp

from verify.functions import MPMATH_FUNCTIONS, lambdified

# --- float64 evaluation with error bounds ---------------------------------------------------------
#
# Each function below takes values ``x`` and bounds ``e`` with |x − exact| ≤ e and returns
# ``(value, bound)`` for its result, where the bound covers both the propagated input errors
# (through a bound on the function's variation over [x − e, x + e], not a first-order estimate)
# and the rounding of the float64 operation itself. Where no such bound is at hand (a logarithm
# of an interval reaching 0, a negative base of a real power) they raise ``_NoBound``.

#: unit roundoff of float64
_U = 2.0**-53
_SMALLEST_NORMAL = 2.0**-1022


class _NoBound(ArithmeticError):
    """Float64 cannot bound the error of this node at this point."""


def _b_input(x) -> tuple[float, float]:
    v = float(x)
    return v, (0.0 if v == x else _U * abs(v))


def _b_add(xs: tuple, es: tuple) -> tuple[float, float]:
    v = math.fsum(xs)
    return v, math.fsum(es) * (1 + 4 * _U) + _U * abs(v)


def _exact_power_of_two(x: float, e: float) -> bool:
    return e == 0 and x != 0 and abs(math.frexp(x)[0]) == 0.5


def _b_mul(xs: tuple, es: tuple) -> tuple[float, float]:
    v = 1.0
    roundings = -1
    for x, e in zip(xs, es, strict=True):
        v *= x
        roundings += not _exact_power_of_two(x, e)  # multiplying by ±2^k is exact …
    if v != 0 and abs(v) < _SMALLEST_NORMAL:
        roundings += 1  # … unless the product is subnormal
    # |Π(x_i + δ_i) − Π x_i| ≤ Π(|x_i| + e_i) − Π|x_i| = Σ_i e_i Π_{j<i}(|x_j| + e_j) Π_{j>i}|x_j|,
    # summed term by term (no cancellation), each term off by at most k roundings
    k = len(xs)
    after = [1.0] * (k + 1)
    for i in range(k - 1, -1, -1):
        after[i] = after[i + 1] * abs(xs[i])
    spread, before = 0.0, 1.0
    for i in range(k):
        if es[i]:
            spread += es[i] * before * after[i + 1]
        before *= abs(xs[i]) + es[i]
    return v, spread * (1 + 4 * (k + 1) * _U) + 2 * max(roundings, 0) * _U * abs(v)


def _b_pow_int(b: float, n: int, eb: float) -> tuple[float, float]:
    v = b**n  # float ** int: raises on overflow and on 0 ** −n
    # mean value theorem: |(b + δ)^n − b^n| ≤ |n| |δ| max |t|^(n−1) over |t − b| ≤ e_b
    if n == 0 or eb == 0:
        spread = 0.0
    elif n > 0:
        spread = n * eb * (abs(b) + eb) ** (n - 1)
    elif eb < abs(b):
        spread = -n * eb * (abs(b) - eb) ** (n - 1)
    else:
        raise _NoBound
    return v, spread * (1 + 4 * (abs(n) + 2) * _U) + 4 * _U * abs(v)


def _b_exp(a: float, ea: float) -> tuple[float, float]:
    v = math.exp(a)
    return v, v * math.expm1(ea) * (1 + 4 * _U) + 2 * _U * v


def _b_log(x: float, ex: float) -> tuple[float, float]:
    if not ex < x:  # also x ≤ 0
        raise _NoBound
    v = math.log(x)
    return v, -math.log1p(-ex / x) * (1 + 4 * _U) + 2 * _U * abs(v)


def _b_pow(b: float, x: float, eb: float, ex: float) -> tuple[float, float]:
    """``b ** x`` for a positive base, as ``exp(x log b)``."""
    if not b > 0:
        raise _NoBound
    log_b, e_log_b = _b_log(b, eb)
    y, ey = _b_mul((x, log_b), (ex, e_log_b))
    v, ev = _b_exp(y, ey)
    return v, ev + 4 * _U * v


def _b_lipschitz(fn: Callable[[float], float], lipschitz: float, ulps: float) -> Callable:
    """Bounds for a function whose slope never exceeds ``lipschitz`` and whose float64 version is
    accurate to ``ulps`` units of roundoff relative to ``max(1, |value|)``."""

    def bounded(a: float, ea: float) -> tuple[float, float]:
        v = fn(a)
        return v, lipschitz * ea * (1 + 4 * _U) + ulps * _U * max(1.0, abs(v))

    return bounded


def _b_abs(a: float, ea: float) -> tuple[float, float]:
    return abs(a), ea


def _b_max(xs: tuple, es: tuple) -> tuple[float, float]:
    return max(xs), max(es)


def _b_min(xs: tuple, es: tuple) -> tuple[float, float]:
    return min(xs), max(es)


def _float_sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _float_logsigmoid(x: float) -> float:
    if x >= 0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


def _float_softplus(x: float) -> float:
    return -_float_logsigmoid(-x)


# --- interval evaluation ---------------------------------------------------------------------------------
#
# mpmath's interval arithmetic (``mpmath.iv``) rounds every endpoint outward, so each node's interval
# encloses its exact value at the point: a result interval that excludes 0 decides a sign whatever the
# rounding, where the magnitude rule of :class:`Evaluation` cannot (σ(−10⁸) − 10^−5000 sits below the
# noise floor 10⁸·10^(8−dps) of the intermediate −10⁸ at every precision up to thousands of digits).


class _NoInterval(ArithmeticError):
    """An interval function returned an inverted interval: it has no trustworthy enclosure here."""


def _iv_trusted(fn: Callable) -> Callable:
    """``fn`` (an ``mpmath.iv`` function) with its result checked and widened: ``mpmath.iv``'s elementary
    functions are not all rigorous to the last bits (``iv.loggamma(0.1)`` can come out inverted, ``iv.log1p``
    of a tiny number drops a term of relative size x², ``iv.exp`` once missed by an ulp), so an inverted
    result is refused and every result widened by 2^−(prec − 32) of its size, far above such slips and far
    below any decision the search takes from an interval."""

    def trusted(*args):
        r = fn(*args)
        if not r.a <= r.b:  # the ends compared exactly (as point intervals)
            raise _NoInterval
        iv = mpmath.iv
        a, b = mpmath.mpf(r.a), mpmath.mpf(r.b)  # their sizes, to a few digits, for the slack
        slack = mpmath.ldexp(max(abs(a), abs(b)), 32 - iv.prec) if mpmath.isfinite(a) and mpmath.isfinite(b) else 0
        return r + iv.mpf([-slack, slack]) if slack else r

    return trusted


def _iv_tanh(x):
    return 1 - 2 / (mpmath.iv.exp(2 * x) + 1)  # an enclosure: each operation's is


def _iv_sigmoid(x):
    return 1 / (1 + mpmath.iv.exp(-x))


def _iv_logsigmoid(x):
    return -mpmath.iv.log1p(mpmath.iv.exp(-x))


def _iv_softplus(x):
    return mpmath.iv.log1p(mpmath.iv.exp(x))


def _iv_factorial(x):
    return mpmath.iv.gamma(x + 1)


def _iv_extremum(pick: Callable) -> Callable:
    """``max``/``min`` of intervals: the interval of the largest (smallest) lower and upper ends."""

    def extremum(xs: tuple):
        return mpmath.iv.mpf([pick(x.a for x in xs), pick(x.b for x in xs)])

    return extremum


#: the largest |x| whose exp is computed: the deepest approach of a limit reaches 2^16000 ≈ 10^4816, and
#: mpmath's exp of a much larger argument runs for minutes (e^{e^{e^10}}: an argument of 10^9566), uninterruptible
EXP_ARG_LIMIT = mpmath.mpf(10) ** 5000


def _mp_exp(x):
    """``mpmath.exp``, refused (an overflow: the point is undefined) beyond :data:`EXP_ARG_LIMIT`."""
    if abs(x) > EXP_ARG_LIMIT:
        raise OverflowError("exp of an argument beyond 10^5000")
    return mpmath.exp(x)


def _iv_exp(x):
    if max(abs(mpmath.mpf(x.a)), abs(mpmath.mpf(x.b))) > EXP_ARG_LIMIT:
        raise OverflowError("exp of an argument beyond 10^5000")
    return mpmath.iv.exp(x)


def _iv_loggamma(x):
    return mpmath.iv.log(mpmath.iv.gamma(x))  # iv.loggamma(0.1) can come out inverted; Γ itself has held


#: the interval version of each ``call`` node's function, by its name in the generated code
_IV_CALLS: dict[str, Callable] = {
    name: _iv_trusted(fn)
    for name, fn in {
        "exp": _iv_exp,
        "sin": lambda x: mpmath.iv.sin(x),
        "cos": lambda x: mpmath.iv.cos(x),
        "tanh": _iv_tanh,
        "factorial": _iv_factorial,
        "gamma": lambda x: mpmath.iv.gamma(x),
        "loggamma": _iv_loggamma,
        "sigmoid": _iv_sigmoid,
        "logsigmoid": _iv_logsigmoid,
        "softplus": _iv_softplus,
    }.items()
} | {"abs": abs}
_IV_EXTREMA = {"max": _iv_extremum(max), "min": _iv_extremum(min)}


# --- node kinds --------------------------------------------------------------------------------------

#: SymPy function class → (name in generated code, mpmath implementation, float64 bounds or None)
_UNARY: dict[type, tuple[str, Callable, Callable | None]] = {
    sp.exp: ("exp", _mp_exp, _b_exp),
    sp.Abs: ("abs", abs, _b_abs),
    sp.sin: ("sin", mpmath.sin, _b_lipschitz(math.sin, 1.0, 4)),
    sp.cos: ("cos", mpmath.cos, _b_lipschitz(math.cos, 1.0, 4)),
    sp.tanh: ("tanh", mpmath.tanh, _b_lipschitz(math.tanh, 1.0, 4)),
    # of an argument the tape evaluates itself (its lost digits seen), to any size: factorial(10⁸)
    sp.factorial: ("factorial", mpmath.factorial, None),
    sp.gamma: ("gamma", mpmath.gamma, None),
    sp.loggamma: ("loggamma", mpmath.loggamma, None),
}

#: float64 bounds for :data:`verify.functions.MPMATH_FUNCTIONS` (σ has slope ≤ 1/4; log σ and
#: softplus have slope ≤ 1)
_BOUNDED_FUNCTIONS: dict[str, Callable] = {
    "sigmoid": _b_lipschitz(_float_sigmoid, 0.25, 8),
    "logsigmoid": _b_lipschitz(_float_logsigmoid, 1.0, 8),
    "softplus": _b_lipschitz(_float_softplus, 1.0, 8),
}

#: integer exponents of at most this size are applied as Python ints (mpmath then uses the same
#: ``mpf_pow_int`` as for an integral ``mpf`` exponent, without the conversion)
_INT_EXPONENT_LIMIT = 2**53


#: products of more factors than this are multiplied in a loop rather than one expression
_LONGEST_CHAIN = 100


def _product(xs: tuple) -> object:
    """``xs[0] * xs[1] * …``, left to right."""
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


#: a sum under a logarithm is cancelled when it is within this many digits of the rounding of its terms
CANCELLED_DIGITS = 8


def largest_magnitude(values: Sequence) -> object:
    """The largest ``|v|`` among the finite values (0 when there is none)."""
    return max((abs(v) for v in values if mpmath.isfinite(v)), default=mpmath.mpf(0))


def _node_values(variables: Mapping[str, object], count: int) -> tuple:
    """The values of nodes ``0 … count-1``, from the generated function's variables ``v0, v1, …``."""
    return tuple(variables[f"v{i}"] for i in range(count))


class Evaluation:
    """The outputs of one evaluation; every node's value and the largest magnitude on demand.

    ``magnitude`` is the largest magnitude among all intermediate values: a result computed
    with ``d`` digits is only known to about ``10^-d`` times that magnitude. It is computed at
    the precision the evaluation ran at, so it equals what an eager computation would give.
    """

    __slots__ = ("_count", "_logged_sums", "_magnitude", "_multiplied_sums", "_prec", "_variables", "outputs")

    def __init__(
        self,
        outputs: list,
        variables: Mapping[str, object],
        count: int,
        prec: int,
        logged_sums: Sequence[tuple[int, tuple[int, ...]]] = (),
        multiplied_sums: Sequence[tuple[int, tuple[int, ...]]] = (),
    ):
        self.outputs = outputs
        self._variables = variables
        self._count = count
        self._prec = prec
        self._logged_sums = logged_sums
        self._multiplied_sums = multiplied_sums
        self._magnitude = None

    @property
    def values(self) -> tuple:
        """Every node's value, in tape order."""
        return _node_values(self._variables, self._count)

    @property
    def magnitude(self) -> object:
        if self._magnitude is None:
            with mpmath.workprec(self._prec):
                self._magnitude = largest_magnitude(self.values)
        return self._magnitude

    @property
    def lost(self) -> bool:
        """Whether the outputs may be wrong by more than the magnitude bounds: an intermediate value
        is infinite (``log(1 − p*)`` once ``p* = 1 − 10⁻¹³⁰`` rounded to 1, whose −∞ a sigmoid turns
        back into a finite output), or a sum under a logarithm cancelled to its rounding noise (the
        same ``1 − p*`` rounded to 10⁻¹²⁰ instead of 0: its log is −276, not −300, and the error
        stays whatever the precision). Only more digits, or none, resolve such an evaluation."""
        return self._lost(self._logged_sums)

    def lost_in_products(self) -> bool:
        """:attr:`lost`, or a sum cancelled to its rounding and then multiplied or raised to a power:
        e^x·(1 − σ(x)) at x = 2^200 is 0 at every precision, its limit 1. For a limit's deep
        approach only: at an ordinary point such a sum is as often exactly 0 ((1 − x)(1 + x) at 1)."""
        return self._lost(self._logged_sums, self._multiplied_sums)

    @property
    def precision(self) -> int:
        """The bits the evaluation ran at."""
        return self._prec

    def cancelled_to_zero(self, among: frozenset[int]) -> bool:
        """Whether a sum of the nodes ``among`` under a product, a power or a log came out exactly 0 (an exact 0,
        as ``a − 1`` at ``a = 1``, or a cancellation that rounded to it)."""
        values = self.values
        return any(add in among and values[add] == 0 for add, _ in (*self._logged_sums, *self._multiplied_sums))

    def _lost(self, *sums: Sequence[tuple[int, tuple[int, ...]]]) -> bool:
        """An infinite intermediate, or a sum of ``sums`` cancelled to its rounding (node values read once)."""
        values = self.values
        return any(mpmath.isinf(v) for v in values) or any(self._cancelled(values, s) for s in sums)

    def _cancelled(self, values: tuple, sums: Sequence[tuple[int, tuple[int, ...]]]) -> bool:
        noise = mpmath.ldexp(1, -self._prec) * 10**CANCELLED_DIGITS
        with mpmath.workprec(53):
            for add, terms in sums:
                largest = max(abs(values[t]) for t in terms)
                if largest and abs(values[add]) <= noise * largest:  # terms all 0: an exact 0, nothing cancelled
                    return True
        return False


def written(f: sp.Float) -> str:
    """The decimal a float stands for: the shortest text that reads back as the same float at its
    precision (``100.1``, not the binary 100.09999999999999431…; ``0.30000000000000004`` for the sum of
    the floats 0.1 and 0.2). At the working precision ``exp(100.1)`` is then ``e¹⁰⁰·e^{1/10}``; read in
    binary it is off by 6·10⁻¹⁵ relative, beyond a float's rounding allowance."""
    prec = f._prec
    digits = mpmath.libmp.prec_to_dps(prec)
    for k in range(digits, digits + 4):
        text = mpmath.libmp.to_str(f._mpf_, k)
        if mpmath.libmp.from_str(text, prec, mpmath.libmp.round_nearest) == f._mpf_:
            return text
    return mpmath.libmp.to_str(f._mpf_, digits + 4)


class Tape:
    """Evaluate a list of expressions at a point given as ``{symbol name: number}``.

    ``renamings`` adds, for each mapping ``{name: other name}``, a copy of the outputs in which
    the symbols ``name`` are read from the point's entries ``other name``: the expressions at a
    second point that differs only in those symbols. Nodes that do not depend on a renamed
    symbol are shared between the copies and computed once.
    """

    def __init__(self, exprs: Sequence[sp.Expr], renamings: Sequence[Mapping[str, str]] = ()):
        self._index: dict[sp.Basic, int] = {}
        #: per node: (kind, argument nodes, payload); kinds: symbol, number, add, mul, pow, log,
        #: call, extremum, lambdified
        self._nodes: list[tuple[str, tuple[int, ...], object]] = []
        self.outputs = [self._node(sp.sympify(e)) for e in exprs]
        base, count = list(self.outputs), len(self._nodes)
        for renaming in renamings:
            self.outputs += self._renamed(base, count, renaming)
        self._constants: dict[int, list] = {}  # mpmath precision → values of the number nodes
        self._logged_sums = self._sums_under_logs()
        self._multiplied_sums = tuple(
            (a, self._nodes[a][1])
            for kind, args, _ in self._nodes
            if kind in ("mul", "pow")
            for a in (args if kind == "mul" else args[:1])
            if self._nodes[a][0] == "add"
        )
        self._code = self._compile()
        self._bounds_code: Callable | bool | None = False  # False: not compiled yet; None: no float version
        self._interval_code: Callable | bool | None = False  # the same for the interval version
        self._free_of: dict[str, frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def free_of(self, name: str) -> frozenset[int]:
        """The nodes whose value does not depend on the symbol ``name`` (nodes come after their arguments)."""
        if name not in self._free_of:
            depends: set[int] = set()
            for i, (kind, args, payload) in enumerate(self._nodes):
                if (kind == "symbol" and payload == name) or any(a in depends for a in args):
                    depends.add(i)
            self._free_of[name] = frozenset(range(len(self._nodes))) - depends
        return self._free_of[name]

    # --- flattening -------------------------------------------------------------------------------

    def _node(self, e: sp.Basic) -> int:
        hit = self._index.get(e)
        if hit is not None:
            return hit
        node = self._op(e)
        self._nodes.append(node)
        self._index[e] = len(self._nodes) - 1
        return len(self._nodes) - 1

    def _renamed(self, outputs: list[int], count: int, renaming: Mapping[str, str]) -> list[int]:
        """Copies of the first ``count`` nodes that depend on a symbol of ``renaming``, with it renamed;
        returns ``outputs`` mapped to the copies."""
        moved: dict[int, int] = {}
        for i in range(count):
            kind, args, payload = self._nodes[i]
            if kind == "symbol" and payload in renaming:
                node = ("symbol", (), renaming[payload])
            elif any(a in moved for a in args):
                node = (kind, tuple(moved.get(a, a) for a in args), payload)
            else:
                continue
            self._nodes.append(node)
            moved[i] = len(self._nodes) - 1
        return [moved.get(i, i) for i in outputs]

    def _op(self, e: sp.Basic) -> tuple[str, tuple[int, ...], object]:
        if e.is_Symbol:
            return "symbol", (), e.name
        if e.is_Number or e in (sp.pi, sp.E, sp.I):
            return "number", (), e
        if e.is_Add:
            return "add", tuple(self._node(a) for a in e.args), None
        if e.is_Mul:
            return "mul", tuple(self._node(a) for a in e.args), None
        if e.is_Pow:
            exp = e.exp
            literal = int(exp) if exp.is_Integer and abs(int(exp)) < _INT_EXPONENT_LIMIT else None
            return "pow", (self._node(e.base), self._node(exp)), literal
        if isinstance(e, sp.log):
            return "log", tuple(self._node(a) for a in e.args), None
        if isinstance(e, sp.harmonic) and len(e.args) == 1:  # H_n; the generalised H_{n,m} is lambdified
            return "call", (self._node(e.args[0]),), ("harmonic", mpmath.harmonic, None)
        for cls, (name, fn, bounded) in _UNARY.items():
            if isinstance(e, cls):
                return "call", tuple(self._node(a) for a in e.args), (name, fn, bounded)
        name = type(e).__name__
        if name in MPMATH_FUNCTIONS:
            args = tuple(self._node(a) for a in e.args)
            return "call", args, (name, MPMATH_FUNCTIONS[name], _BOUNDED_FUNCTIONS.get(name))
        if isinstance(e, sp.Max | sp.Min):
            fn, bounded = (max, _b_max) if isinstance(e, sp.Max) else (min, _b_min)
            return "extremum", tuple(self._node(a) for a in e.args), (fn.__name__, fn, bounded)
        # anything else: evaluate the node through lambdify on its free symbols (its result is
        # converted to an mpmath number, like every other node's)
        syms = sorted(e.free_symbols, key=lambda s: s.name)
        fn = lambdified(syms, e, [MPMATH_FUNCTIONS, "mpmath"])
        return "lambdified", tuple(self._node(s) for s in syms), fn

    def _sums_under_logs(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """``(sum node, its terms)`` for each sum that a logarithm takes through products and powers
        only (``log((1 − p)/(1 − q))``): the log of such a sum keeps none of its relative error bounded."""
        out: dict[int, tuple[int, ...]] = {}
        todo = [a for kind, args, _ in self._nodes if kind == "log" for a in args[:1]]
        seen: set[int] = set()
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            kind, args, _ = self._nodes[i]
            if kind == "add":
                out[i] = args
            elif kind == "mul":
                todo.extend(args)
            elif kind == "pow":
                todo.append(args[0])
        return tuple(out.items())

    # --- code generation ----------------------------------------------------------------------------

    @staticmethod
    def _build(lines: list[str], env: dict[str, object]) -> Callable:
        namespace = dict(env)
        exec(compile("\n".join(lines), "<tape>", "exec"), namespace)
        return namespace["evaluate"]

    def _compile(self) -> Callable:
        """``evaluate(point, constants) -> (outputs, variables)``; node ``i``'s value is variable ``v{i}``."""
        env: dict[str, object] = {"mpf": mpmath.mpf, "fsum": mpmath.fsum, "log": mpmath.log}
        env["mpmathify"], env["product"] = mpmath.mpmathify, _product
        lines = ["def evaluate(p, c):"]
        for i, (kind, args, payload) in enumerate(self._nodes):
            v = [f"v{a}" for a in args]
            if kind == "symbol":
                rhs = f"mpf(p[{payload!r}])"
            elif kind == "number":
                rhs = f"c[{i}]"
            elif kind == "add":
                rhs = f"{v[0]} + {v[1]}" if len(v) == 2 else f"fsum(({', '.join(v)}))"
            elif kind == "mul":  # left to right (a long chain as a loop: deep expressions do not compile)
                rhs = " * ".join(v) if len(v) <= _LONGEST_CHAIN else f"product(({', '.join(v)}))"
            elif kind == "pow":
                rhs = f"{v[0]} ** {payload if payload is not None else v[1]}"
            elif kind == "log":
                rhs = f"log({', '.join(v)})"
            elif kind == "call":
                env[f"f_{payload[0]}"] = payload[1]
                rhs = f"f_{payload[0]}({', '.join(v)})"
            elif kind == "extremum":
                env[f"f_{payload[0]}"] = payload[1]
                rhs = f"f_{payload[0]}(({', '.join(v)},))"
            else:  # lambdified
                env[f"g{i}"] = payload
                rhs = f"mpmathify(g{i}({', '.join(v)}))"
            lines.append(f"    v{i} = {rhs}")
        lines.append(f"    return [{''.join(f'v{i}, ' for i in self.outputs)}], locals()")
        return self._build(lines, env)

    def _compile_bounds(self) -> Callable | None:
        """``evaluate(point) -> (outputs, bounds)`` in float64 with error bounds (see the helpers
        above), or None when some node has no float64 version."""
        env: dict[str, object] = {
            "b_input": _b_input,
            "b_add": _b_add,
            "b_mul": _b_mul,
            "b_pow_int": _b_pow_int,
            "b_pow": _b_pow,
            "b_log": _b_log,
        }
        lines = ["def evaluate(p):"]
        for i, (kind, args, payload) in enumerate(self._nodes):
            v, e = [f"v{a}" for a in args], [f"e{a}" for a in args]
            if kind == "symbol":
                rhs = f"b_input(p[{payload!r}])"
            elif kind == "number":
                value = self._float_number(payload)
                if value is None:
                    return None
                exact = sp.Rational(value) == payload if payload.is_Rational else False
                rhs = f"{value!r}, {0.0 if exact else _U * abs(value)!r}"
            elif kind in ("add", "mul"):
                rhs = f"b_{kind}(({', '.join(v)},), ({', '.join(e)},))"
            elif kind == "pow":
                if payload is not None:
                    rhs = f"b_pow_int({v[0]}, {payload}, {e[0]})"
                else:
                    rhs = f"b_pow({v[0]}, {v[1]}, {e[0]}, {e[1]})"
            elif kind == "log" and len(args) == 1:
                rhs = f"b_log({v[0]}, {e[0]})"
            elif kind == "call" and payload[2] is not None:
                env[f"f_{payload[0]}"] = payload[2]
                rhs = f"f_{payload[0]}({v[0]}, {e[0]})"
            elif kind == "extremum":
                env[f"f_{payload[0]}"] = payload[2]
                rhs = f"f_{payload[0]}(({', '.join(v)},), ({', '.join(e)},))"
            else:
                return None
            lines.append(f"    v{i}, e{i} = {rhs}")
        outs = self.outputs
        lines.append(f"    return [{''.join(f'v{i}, ' for i in outs)}], [{''.join(f'e{i}, ' for i in outs)}]")
        return self._build(lines, env)

    def _compile_interval(self) -> Callable | None:
        """``evaluate(point) -> outputs`` in mpmath's interval arithmetic at ``mpmath.iv``'s precision, or None
        when some node has no interval version (a lambdified function, a complex or irrational constant other
        than π and e, ``harmonic``)."""
        iv = mpmath.iv
        env: dict[str, object] = {"ivmpf": iv.mpf, "ivlog": _iv_trusted(iv.log)}
        lines = ["def evaluate(p):"]
        for i, (kind, args, payload) in enumerate(self._nodes):
            v = [f"v{a}" for a in args]
            if kind == "symbol":
                rhs = f"ivmpf(p[{payload!r}])"
            elif kind == "number":
                if payload.is_Rational:  # exact integers in the namespace (a literal may have too many digits)
                    env[f"p{i}"], env[f"q{i}"] = int(payload.p), int(payload.q)
                    rhs = f"ivmpf(p{i}) / ivmpf(q{i})"
                elif payload.is_Float:
                    rhs = f"ivmpf({written(payload)!r})"
                elif payload in (sp.pi, sp.E):
                    rhs = "ivmpf(iv_pi)" if payload is sp.pi else "ivmpf(iv_e)"
                    env["iv_pi"], env["iv_e"] = iv.pi, iv.e
                else:
                    return None
            elif kind == "add":
                rhs = " + ".join(v)
            elif kind == "mul":
                rhs = " * ".join(v) if len(v) <= _LONGEST_CHAIN else f"product(({', '.join(v)}))"
                env["product"] = _product
            elif kind == "pow":
                rhs = f"{v[0]} ** {payload if payload is not None else v[1]}"
            elif kind == "log" and len(args) == 1:
                rhs = f"ivlog({v[0]})"
            elif kind == "log":
                rhs = f"ivlog({v[0]}) / ivlog({v[1]})"
            elif kind == "call" and payload[0] in _IV_CALLS:
                env[f"f_{payload[0]}"] = _IV_CALLS[payload[0]]
                rhs = f"f_{payload[0]}({', '.join(v)})"
            elif kind == "extremum":
                env[f"f_{payload[0]}"] = _IV_EXTREMA[payload[0]]
                rhs = f"f_{payload[0]}(({', '.join(v)},))"
            else:
                return None
            lines.append(f"    v{i} = {rhs}")
        lines.append(f"    return [{''.join(f'v{i}, ' for i in self.outputs)}]")
        return self._build(lines, env)

    @staticmethod
    def _float_number(n: sp.Basic) -> float | None:
        if n is sp.I or n.is_extended_real is False:
            return None
        try:
            value = float(n)
        except (TypeError, ValueError, OverflowError):
            return None
        return value if math.isfinite(value) else None

    # --- constants ------------------------------------------------------------------------------------

    @staticmethod
    def _number(n: sp.Basic):
        if n.is_Integer:
            return mpmath.mpf(int(n))
        if n.is_Rational:
            return mpmath.mpf(int(n.p)) / int(n.q)
        if n is sp.pi:
            return +mpmath.pi
        if n is sp.E:
            return mpmath.e + 0
        if n is sp.I:
            return mpmath.mpc(0, 1)
        if n.is_Float:
            return mpmath.mpf(written(n))
        return mpmath.mpmathify(complex(n) if n.is_complex and not n.is_real else n.evalf(mpmath.mp.dps + 5))

    def _constants_now(self) -> list:
        prec = mpmath.mp.prec
        cached = self._constants.get(prec)
        if cached is None:
            cached = [self._number(payload) if kind == "number" else None for kind, _, payload in self._nodes]
            self._constants[prec] = cached
        return cached

    # --- evaluation -------------------------------------------------------------------------------------

    def evaluate(self, point: Mapping[str, object]) -> Evaluation:
        """Evaluate at the current mpmath precision; inputs are converted with ``mpf``.

        Raises what mpmath raises (``ZeroDivisionError`` for ``0 ** -1``, …).
        """
        outputs, variables = self._code(point, self._constants_now())
        return Evaluation(
            outputs, variables, len(self._nodes), mpmath.mp.prec, self._logged_sums, self._multiplied_sums
        )

    def __call__(self, point: Mapping[str, object]) -> tuple[list, object]:
        """``(outputs, largest intermediate magnitude)`` at the current mpmath precision."""
        ev = self.evaluate(point)
        return ev.outputs, ev.magnitude

    def interval(self, point: Mapping[str, object], prec: int) -> list | None:
        """The outputs as intervals (``mpmath.iv``) at ``prec`` bits, each enclosing the exact value at the point;
        None where some node has no interval version or the interval arithmetic fails (a logarithm of a
        negative number). An interval may be unbounded (a division by an interval around 0)."""
        if self._interval_code is False:
            self._interval_code = self._compile_interval()
        if self._interval_code is None:
            return None
        iv, previous = mpmath.iv, mpmath.iv.prec
        iv.prec = prec
        try:
            boxes = self._interval_code(point)
        except Exception:  # mpmath.iv fails on some arguments (Γ of a large negative number recurses): no interval
            return None
        finally:
            iv.prec = previous
        return boxes if all(b.a <= b.b for b in boxes) else None

    def float_bounds(self, point: Mapping[str, float]) -> tuple[list[float], list[float]] | None:
        """The outputs in float64 and a bound on each one's distance from its exact value.

        None when float64 cannot evaluate or bound some node at this point (or any point).
        Outputs and bounds may be infinite or nan; callers check.
        """
        if self._bounds_code is False:
            self._bounds_code = self._compile_bounds()
        if self._bounds_code is None:
            return None
        try:
            return self._bounds_code(point)
        except (ArithmeticError, ValueError, TypeError):  # overflow, 0 ** −n, log of ≤ 0, no bound
            return None
