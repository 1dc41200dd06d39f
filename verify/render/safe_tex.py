r"""Formulas that reach a report are checked against a whitelist of TeX before they are typeset.

A claim's LaTeX comes from SymPy's printer when a run produces it, but a report can also be
rendered from a saved result (``report --from-json``) that anyone may have written. TeX is a
programming language: ``\openin``/``\input`` read files into the document, ``\openout``/``\write``
write files, ``\def``/``\catcode`` change what everything else means. A formula is therefore
typeset only when it is plain mathematics:

- every control word is one of :data:`ALLOWED` (symbols, operators, fonts, accents, delimiters,
  spacing, ``\begin``/``\end`` of the matrix-like environments of :data:`ENVIRONMENTS`);
- braces balance, ``\left``/``\right`` pair up, environments nest and close;
- no ``#``, ``%``, ``$``, ``^^``, backtick or control character; ``&`` and ``\\`` only inside an
  environment.

Anything else is replaced by a short notice (:func:`safe_math`), so a hostile result renders as a
document that says so instead of running its TeX.
"""

from __future__ import annotations

import re

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi "
    "rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
    "Upsilon Phi Psi Omega"
)
SYMBOLS = (
    "infty partial nabla ell hbar imath jmath emptyset varnothing forall exists neg lnot top bot angle prime "
    "cdot cdots ldots dots vdots ddots times div pm mp ast star circ bullet oplus ominus otimes oslash odot "
    "cap cup setminus wedge vee land lor sum prod coprod int iint oint bigcup bigcap bigoplus bigotimes "
    "leq le geq ge neq ne lt gt approx equiv sim simeq cong propto ll gg prec succ preceq succeq subset "
    "supset subseteq supseteq in notin ni mid nmid parallel perp models vdash dashv "
    "to gets mapsto rightarrow leftarrow Rightarrow Leftarrow Longrightarrow Longleftarrow leftrightarrow "
    "Leftrightarrow Longleftrightarrow iff implies impliedby uparrow downarrow "
    "langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert backslash checkmark "
    "mathbb mathrm mathbf mathcal mathsf mathit mathtt mathfrak mathscr boldsymbol bm operatorname text "
    "textrm textbf textit texttt textsf mbox "
    "hat widehat bar overline underline tilde widetilde vec dot ddot check breve acute grave "
    "overbrace underbrace overset underset stackrel "
    "frac dfrac tfrac cfrac binom dbinom tbinom sqrt "
    "left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr "
    "quad qquad displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits "
    "log ln exp lg sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth max min sup inf "
    "lim liminf limsup arg deg det dim gcd hom ker Pr "
    "begin end"
)
#: control words a formula may use
ALLOWED = frozenset((GREEK + " " + SYMBOLS).split())
#: environments a formula may open (SymPy prints matrices and piecewise functions with these)
ENVIRONMENTS = frozenset(
    "matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases array aligned gathered split".split()
)
#: control symbols (a backslash and one non-letter) a formula may use
CONTROL_SYMBOLS = frozenset({",", ";", ":", "!", "\\", "{", "}", "|", "_", "&", " "})

_FORBIDDEN_CHARS = re.compile(r"[#%$`]|\^\^|[\x00-\x08\x0b-\x1f\x7f]")
_ARGUMENT = re.compile(r"\s*\{([A-Za-z*]+)\}")


def math_problem(latex: str) -> str | None:
    """Why ``latex`` may not be typeset as a formula, or None when it is plain mathematics."""
    if not isinstance(latex, str):
        return "it is not text"
    found = _FORBIDDEN_CHARS.search(latex)
    if found:
        return f"it contains the character {found.group()!r}"
    braces = 0
    stack: list[tuple[str, int]] = []  # open \left and environments, with the brace depth they opened at
    i, n = 0, len(latex)
    while i < n:
        c = latex[i]
        if c == "\\":
            j = i + 1
            if j < n and latex[j].isalpha():
                while j < n and latex[j].isalpha():
                    j += 1
                word = latex[i + 1 : j]
                if word not in ALLOWED:
                    return f"it uses the TeX command \\{word}, which reports do not allow"
                if word in ("begin", "end"):
                    m = _ARGUMENT.match(latex, j)
                    if m is None or m.group(1) not in ENVIRONMENTS:
                        return f"\\{word} names no environment reports allow"
                    if word == "begin":
                        stack.append((m.group(1), braces))
                    elif not stack or stack.pop() != (m.group(1), braces):
                        return f"\\end{{{m.group(1)}}} closes nothing it opened"
                    j = m.end()
                elif word == "left":
                    stack.append(("left", braces))
                elif word == "right" and (not stack or stack.pop() != ("left", braces)):
                    return "\\right has no matching \\left"
                i = j
                continue
            if j >= n:
                return "it ends with a backslash"
            symbol = latex[j]
            if symbol not in CONTROL_SYMBOLS:
                return f"it uses the TeX control symbol \\{symbol}, which reports do not allow"
            if symbol == "\\" and not any(kind not in ("left",) for kind, _ in stack):
                return "a line break \\\\ outside an environment"
            i = j + 1
            continue
        if c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
            if braces < 0 or any(depth > braces for _, depth in stack):
                return "its braces do not balance"
        elif c == "&" and not any(kind != "left" for kind, _ in stack):
            return "an alignment & outside an environment"
        i += 1
    if braces:
        return "its braces do not balance"
    if stack:
        return "a \\left is never closed" if stack[-1][0] == "left" else "an environment is never closed"
    return None


def safe_math(latex: str) -> str:
    r"""``latex`` on one line when :func:`math_problem` finds nothing, else a notice in ``\text{…}`` saying why."""
    problem = math_problem(latex)
    if problem is None:
        one_line = re.sub(r"\s+", " ", latex).lstrip()
        trimmed = one_line.rstrip()  # unless the last space is a control space (a backslash before it)
        return trimmed if math_problem(trimmed) is None else one_line
    plain = "".join(ch if ch.isalnum() or ch in " ,.'" else " " for ch in problem)
    return r"\text{[formula withheld: " + " ".join(plain.split()) + "]}"
