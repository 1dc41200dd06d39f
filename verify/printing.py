"""LaTeX of claims, from SymPy's printer with the notation declared for each symbol."""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from verify.domains import latex_of


class NotationPrinter(LatexPrinter):
    """SymPy's LaTeX printer, printing each declared symbol with its declared LaTeX name."""

    def _print_Symbol(self, expr, style="plain"):  # noqa: N802 - SymPy printer protocol
        name = latex_of(expr)
        if name is not None:
            return name
        return super()._print_Symbol(expr, style=style)


def to_latex(expr: sp.Basic) -> str:
    """LaTeX of a SymPy expression or relation in the project's notation."""
    return NotationPrinter({"ln_notation": False}).doprint(expr)


_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def latex_text(text: str) -> str:
    """``text`` as literal LaTeX text: every special character escaped (``\\input`` prints as-is)."""
    return "".join(_TEX_SPECIALS.get(ch, ch) for ch in text)
