r"""A symbol's declared LaTeX name as plain Unicode text, for logs and terminals: ``\lambda_{D}`` → ``λ_D``,
``\pi_{\mathrm{ref}}(y_w)`` → ``π_ref(y_w)``, ``\hat{r}`` → ``r̂``, ``{\beta}'`` → ``β′``.

Only the notation of names is understood (Greek letters, a few symbols, fonts, accents, sub- and
superscripts, operator names); anything else — an unknown command, a control character — gives
None, and the caller prints the internal name instead. Nothing is typeset or executed.
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon "
    "phi chi psi omega"
).split()


def _greek(name: str, case: str) -> str:
    return unicodedata.lookup(f"GREEK {case} LETTER {name.upper().replace('LAMBDA', 'LAMDA')}")


SYMBOLS = {
    **{name: _greek(name, "SMALL") for name in _LETTERS},
    **{name.capitalize(): _greek(name, "CAPITAL") for name in _LETTERS},
    "varepsilon": "ε",
    "vartheta": "ϑ",
    "varpi": "ϖ",
    "varrho": "ϱ",
    "varsigma": "ς",
    "varphi": "φ",
    "ell": "ℓ",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "star": "⋆",
    "ast": "∗",
    "prime": "′",
    "cdot": "·",
    "times": "×",
    "succ": "≻",
    "prec": "≺",
    "succeq": "⪰",
    "preceq": "⪯",
    "sim": "∼",
    "mid": "|",
    "top": "⊤",
    "to": "→",
    "leq": "≤",
    "geq": "≥",
    "neq": "≠",
    "in": "∈",
    "emptyset": "∅",
}
OPERATORS = frozenset("log ln exp sin cos tan max min sup inf det arg lim".split())
FONTS = frozenset(
    "mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr boldsymbol bm operatorname text textrm "
    "textbf textit textsf texttt mbox".split()
)
ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "bar": "\u0304",
    "overline": "\u0305",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "dot": "\u0307",
    "ddot": "\u0308",
    "check": "\u030c",
    "vec": "\u20d7",
}
SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "!": ""}
IGNORED = frozenset({"left", "right", "big", "Big", "bigl", "bigr", "displaystyle"})

_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|([{}])|(\s+)|(.)", re.S)


class _NotAName(Exception):
    """The LaTeX is more than a symbol's name."""


def _tokens(latex: str) -> list[tuple[str, str]]:
    out = []
    for command, escaped, brace, space, char in _TOKEN.findall(latex):
        if command:
            out.append(("command", command))
        elif escaped:
            out.append(("escaped", escaped))
        elif brace:
            out.append((brace, brace))
        elif space:
            out.append(("space", " "))
        else:
            out.append(("char", char))
    return out


class _Reader:
    def __init__(self, latex: str):
        self.tokens = _tokens(latex)
        self.i = 0

    def _next(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise _NotAName
        token = self.tokens[self.i]
        self.i += 1
        return token

    def sequence(self, closing: bool) -> str:
        out = ""
        while self.i < len(self.tokens):
            kind, _ = self.tokens[self.i]
            if kind == "}":
                if not closing:
                    raise _NotAName
                self.i += 1
                return out
            out += self.item(out)
        if closing:
            raise _NotAName  # an unclosed brace
        return out

    def argument(self) -> str:
        """One argument: a braced group or a single token."""
        while self.i < len(self.tokens) and self.tokens[self.i][0] == "space":
            self.i += 1
        if self._next()[0] == "{":
            return self.sequence(closing=True)
        self.i -= 1
        return self.item("")

    def item(self, before: str) -> str:
        kind, value = self._next()
        if kind == "{":
            return self.sequence(closing=True)
        if kind == "space":
            return " " if before and not before.endswith(" ") else ""
        if kind == "char":
            if value in "_^":
                inner = self.argument()
                return value + (inner if len(inner) <= 1 or inner.isalnum() else "{" + inner + "}")
            if value == "'":
                return "′"
            if value in "$%#&~\\" or not value.isprintable():  # a lone backslash: a command cut short
                raise _NotAName
            return value
        if kind == "escaped":
            if value in SPACES:
                return SPACES[value]
            if value in "{}|":
                return value
            raise _NotAName
        if value in SYMBOLS:
            return SYMBOLS[value]
        if value in OPERATORS:
            return value + " "
        if value in FONTS:
            return self.argument()
        if value in ACCENTS:
            inner = self.argument()
            return inner[:1] + ACCENTS[value] + inner[1:] if inner else ""
        if value in IGNORED:
            return ""
        raise _NotAName


def unicode_name(latex: str) -> str | None:
    """``latex`` (a symbol's declared name) as plain Unicode text; None when it is more than a name."""
    try:
        text = _Reader(latex).sequence(closing=False)
    except _NotAName:
        return None
    text = re.sub(r" +", " ", text).strip()
    text = re.sub(r" ([)\]_^′,])", r"\1", text)
    return text or None
