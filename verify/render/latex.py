r"""The proof report as a complete LaTeX document (and, with TeX installed, a PDF).

Every displayed formula is the claim's LaTeX as SymPy's printer produced it during checking
(:attr:`~verify.results.StepResult.claim_latex`, ``correction_latex``); long formulas are only
*laid out* here — broken at top-level relations and ``+``/``-`` and scaled down when a single
piece is still too wide — never rewritten. All other text (titles, sources, identifiers,
justifications, counterexample values) is user text and is escaped, so ``\input{/etc/passwd}``
prints literally. Non-ASCII characters are declared for ``pdflatex`` in the preamble.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from verify.errors import UsageError
from verify.printing import latex_text
from verify.render import _report
from verify.render.safe_tex import safe_math
from verify.results import COUNTS, DerivationResult, RunResult, StepResult

TEX_INSTALL = "sudo apt-get install -y texlive-latex-base texlive-latex-recommended latexmk lmodern"

# Characters pdflatex does not know, by what prints them in text and in math alike.
_UNICODE = {
    "²": r"\ensuremath{^{2}}",
    "³": r"\ensuremath{^{3}}",
    "·": r"\ensuremath{\cdot}",
    "×": r"\ensuremath{\times}",
    "\u0302": r"\textasciicircum{}",
    "\u0303": r"\textasciitilde{}",
    "ᵀ": r"\ensuremath{^{\mathsf{T}}}",
    "–": "--",
    "—": "---",
    "‖": r"\ensuremath{\|}",
    "…": r"\ldots{}",
    "′": r"\ensuremath{'}",
    "″": r"\ensuremath{''}",
    "ℓ": r"\ensuremath{\ell}",
    "→": r"\ensuremath{\to}",
    "←": r"\ensuremath{\leftarrow}",
    "↦": r"\ensuremath{\mapsto}",
    "⇒": r"\ensuremath{\Rightarrow}",
    "⇔": r"\ensuremath{\Leftrightarrow}",
    "∂": r"\ensuremath{\partial}",
    "∇": r"\ensuremath{\nabla}",
    "∈": r"\ensuremath{\in}",
    "∉": r"\ensuremath{\notin}",
    "−": r"\ensuremath{-}",
    "∘": r"\ensuremath{\circ}",
    "∞": r"\ensuremath{\infty}",
    "∑": r"\ensuremath{\sum}",
    "∏": r"\ensuremath{\prod}",
    "√": r"\ensuremath{\surd}",
    "≥": r"\ensuremath{\geq}",
    "≤": r"\ensuremath{\leq}",
    "≠": r"\ensuremath{\neq}",
    "≈": r"\ensuremath{\approx}",
    "≡": r"\ensuremath{\equiv}",
    "≫": r"\ensuremath{\gg}",
    "≪": r"\ensuremath{\ll}",
    "∝": r"\ensuremath{\propto}",
    "±": r"\ensuremath{\pm}",
    "∀": r"\ensuremath{\forall}",
    "∃": r"\ensuremath{\exists}",
    "≻": r"\ensuremath{\succ}",
    "≺": r"\ensuremath{\prec}",
    "⪰": r"\ensuremath{\succeq}",
    "⪯": r"\ensuremath{\preceq}",
    "∼": r"\ensuremath{\sim}",
    "∣": r"\ensuremath{\mid}",
    "⊂": r"\ensuremath{\subset}",
    "⊆": r"\ensuremath{\subseteq}",
    "∩": r"\ensuremath{\cap}",
    "∪": r"\ensuremath{\cup}",
    "∅": r"\ensuremath{\emptyset}",
    "⟨": r"\ensuremath{\langle}",
    "⟩": r"\ensuremath{\rangle}",
    "⋅": r"\ensuremath{\cdot}",
    "∗": r"\ensuremath{\ast}",
    "ℝ": r"\ensuremath{\mathbb{R}}",
    "ℕ": r"\ensuremath{\mathbb{N}}",
    "𝔼": r"\ensuremath{\mathbb{E}}",
    "✓": r"\ensuremath{\checkmark}",
    "✗": r"\ensuremath{\times}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "\u00a0": "~",
}
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_GREEK = {
    "alpha", "beta", "gamma", "delta", "zeta", "eta", "theta", "iota", "kappa", "mu", "nu", "xi",
    "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
}  # fmt: skip
_GREEK_CAPITAL = {"gamma", "delta", "theta", "lambda", "xi", "pi", "sigma", "upsilon", "phi", "psi", "omega"}


def _unicode_tex(ch: str) -> str | None:
    """How pdflatex should print ``ch``; None when LaTeX's own UTF-8 support knows it."""
    if ch in _UNICODE:
        return _UNICODE[ch]
    if ch in _SUBSCRIPTS:
        return rf"\ensuremath{{_{{{_SUBSCRIPTS.index(ch)}}}}}"
    if ch in _SUPERSCRIPTS:
        return rf"\ensuremath{{^{{{_SUPERSCRIPTS.index(ch)}}}}}"
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK SMALL LETTER "):
        letter = name.removeprefix("GREEK SMALL LETTER ").lower().replace("lamda", "lambda")
        if letter == "epsilon":
            return r"\ensuremath{\varepsilon}"
        if letter == "final sigma":
            return r"\ensuremath{\varsigma}"
        return rf"\ensuremath{{\{letter}}}" if letter in _GREEK | {"lambda"} else letter[:1]
    if name.startswith("GREEK CAPITAL LETTER "):
        letter = name.removeprefix("GREEK CAPITAL LETTER ").lower().replace("lamda", "lambda")
        return rf"\ensuremath{{\{letter.capitalize()}}}" if letter in _GREEK_CAPITAL else letter[:1].upper()
    if 0xA0 <= ord(ch) < 0x180:
        return None  # Latin-1 and accented Latin letters (§, °, é): LaTeX's utf8 support knows them
    return rf"[U+{ord(ch):04X}]"


def _unicode_inline(body: str) -> str:
    """``body`` with each non-ASCII character pdflatex does not know replaced by what prints it (a
    fragment is input after ``\\begin{document}``, where characters can no longer be declared)."""
    out = []
    for ch in body:
        tex = _unicode_tex(ch) if ord(ch) > 127 else None
        out.append(ch if tex is None else "{" + tex + "}")
    return "".join(out)


def _unicode_declarations(body: str) -> str:
    lines = []
    for ch in sorted({c for c in body if ord(c) > 127}):
        tex = _unicode_tex(ch)
        if tex is not None:
            lines.append(rf"\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{{tex}}}")
    return "\n".join(lines)


def text(s: str) -> str:
    """User text as literal LaTeX text (every special escaped, ``<``/``>``/``|`` too)."""
    out = latex_text(s)
    return out.replace("<", r"\textless{}").replace(">", r"\textgreater{}").replace("|", r"\textbar{}")


def prose(s: str) -> str:
    """User text as :func:`text`, with line breaks allowed inside long unspaced runs (formulas in prose)."""
    return " ".join(_breakable(word) if len(word) > 20 else text(word) for word in s.split(" "))


def _breakable(word: str) -> str:
    return "".join(text(c) + (r"\allowbreak{}" if c in "/),=+*]_;:" else "") for c in word)


def ident(s: str) -> str:
    """An identifier in typewriter type, breakable after underscores."""
    return r"\texttt{" + text(s).replace(r"\_", r"\_\allowbreak{}") + "}"


# ---------------------------------------------------------------------------- layout of formulas

_RELATIONS = (" = ", r" \leq ", r" \geq ", " < ", " > ", r" \neq ", r" \text{ solves } ", r" \quad ")
_OPENERS = (*(r.strip() for r in _RELATIONS), "(", "[", "{", ",", "+", "-")  # a sign after these is unary
_BUDGET = 260  # LaTeX source characters per displayed line before breaking is attempted


def _delimiter_end(s: str, i: int) -> int:
    """End of the delimiter token starting at ``s[i]`` (after ``\\left``/``\\right``)."""
    if i < len(s) and s[i] == "\\":
        j = i + 1
        if j < len(s) and s[j].isalpha():
            while j < len(s) and s[j].isalpha():
                j += 1
            return j
        return j + 1
    return i + 1


def _scan(s: str):
    """Yield ``(index, depth)`` for each character start, skipping the insides of escapes."""
    depth, i = 0, 0
    while i < len(s):
        if s.startswith(r"\left", i) and not s[i + 5 : i + 6].isalpha():
            yield i, depth
            depth += 1
            i = _delimiter_end(s, i + 5)
            continue
        if s.startswith(r"\right", i) and not s[i + 6 : i + 7].isalpha():
            depth -= 1
            yield i, depth
            i = _delimiter_end(s, i + 6)
            continue
        yield i, depth
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
        i += 1


def _chunks(s: str) -> list[str]:
    """``s`` cut before every top-level relation and binary ``+``/``-``."""
    cuts = []
    for i, depth in _scan(s):
        if depth != 0 or i == 0:
            continue
        binary = s.startswith((" + ", " - "), i) and not s[:i].rstrip().endswith(_OPENERS)
        if binary or s.startswith(_RELATIONS, i):
            cuts.append(i)
    bounds = [0, *cuts, len(s)]
    return [s[a:b] for a, b in itertools.pairwise(bounds) if s[a:b].strip()]


def _outer_group(s: str) -> tuple[str, str, str] | None:
    r"""``s`` as (prefix ending in ``\left X``, inside, suffix starting with ``\right Y``)."""
    start = None
    for i, depth in _scan(s):
        if start is None and depth == 0 and s.startswith(r"\left", i):
            start = i
        elif start is not None and depth == 0 and s.startswith(r"\right", i):
            open_end = _delimiter_end(s, start + 5)
            return s[:open_end], s[open_end:i], s[i:]
    return None


def lines(s: str, budget: int = _BUDGET) -> list[str]:
    r"""Break a formula into displayed lines of about ``budget`` source characters.

    Cuts only at top level; a piece still too long that contains a ``\left…\right`` group is
    broken inside it, closing and reopening the group with ``\right.``/``\left.``.
    """
    out: list[str] = []
    current = ""
    for chunk in _chunks(s):
        if len(chunk) > budget:
            if current:
                out.append(current)
                current = ""
            out.extend(_break_group(chunk, budget))
        elif len(current) + len(chunk) > budget and current:
            out.append(current)
            current = chunk
        else:
            current += chunk
    if current:
        out.append(current)
    return out or [s]


def _break_group(chunk: str, budget: int) -> list[str]:
    group = _outer_group(chunk)
    if group is None:
        return [chunk]
    prefix, inside, suffix = group
    inner = lines(inside, budget)
    if len(inner) < 2:
        return [chunk]
    out = [prefix + inner[0] + r" \right."]
    out += [r"\left. " + line + r" \right." for line in inner[1:-1]]
    out.append(r"\left. " + inner[-1] + suffix)
    return out


def display(latex: str) -> str:
    """A displayed formula: one centred line when it fits, else several indented lines, each fitted to the page."""
    parts = lines(latex.strip())
    if len(parts) == 1:
        return "\\begin{center}\n\\vfyclaimline{" + parts[0] + "}\n\\end{center}\n"
    body = "\\\\\n".join(
        ("\\hspace*{1em}" if k == 0 else "\\hspace*{3em}") + "\\vfyclaimline{" + ("{}" if k else "") + p.strip() + "}"
        for k, p in enumerate(parts)
    )
    one = "\\begin{center}\n\\vfyclaimline{" + latex.strip() + "}\n\\end{center}"
    several = "\\begin{flushleft}\n" + body + "\n\\end{flushleft}"
    return "\\vfyclaimfits{" + latex.strip() + "}{%\n" + one + "}{%\n" + several + "}\n"


# ---------------------------------------------------------------------------- the document

#: the packages the report uses; a ``--fragment`` leaves loading them to the including document
PACKAGES = r"""\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{array,booktabs,longtable}
\usepackage{xcolor}
"""

_PREAMBLE = (
    r"""\documentclass[10pt,a4paper]{article}
\usepackage[utf8]{inputenc}
\IfFileExists{lmodern.sty}{\usepackage{lmodern}\usepackage[T1]{fontenc}}{}
\usepackage[margin=2.3cm]{geometry}
"""
    + PACKAGES
    + r"""\usepackage[hidelinks,bookmarksnumbered]{hyperref}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.4ex}
\sloppy
\emergencystretch=3em
\hbadness=10000
\raggedbottom
"""
)

#: the report's own macros, all named ``\vfy…`` (colours ``vfy…``) so that a fragment cannot clash
#: with a paper's; guarded, so a fragment may be input twice
_MACROS = r"""\definecolor{vfyproved}{HTML}{1A7F37}
\definecolor{vfyconfirmed}{HTML}{2F6F9F}
\definecolor{vfyrefuted}{HTML}{B42318}
\definecolor{vfyerror}{HTML}{8E24AA}
\definecolor{vfytimeout}{HTML}{B26B00}
\ifdefined\vfyclaimbox\else\newsavebox\vfyclaimbox\newlength\vfyclaimwidth\fi
% a formula on one line, scaled down only when it is wider than the line
\providecommand{\vfyclaimline}[1]{\setlength\vfyclaimwidth{\dimexpr\linewidth-4em\relax}%
  \sbox\vfyclaimbox{$\displaystyle #1$}%
  \ifdim\wd\vfyclaimbox>\vfyclaimwidth\resizebox{\vfyclaimwidth}{!}{\usebox\vfyclaimbox}\else\usebox\vfyclaimbox\fi}
% #2 when the formula #1 fits on one line, else #3 (the same formula broken over lines)
\providecommand{\vfyclaimfits}[3]{\setlength\vfyclaimwidth{\dimexpr\linewidth-4em\relax}%
  \sbox\vfyclaimbox{$\displaystyle #1$}\ifdim\wd\vfyclaimbox>\vfyclaimwidth #3\else #2\fi}
\providecommand{\vfystatus}[2]{\textcolor{vfy#1}{\textbf{#2}}}
\providecommand{\hyperref}[2][]{#2}
"""

_MARK = {
    "proved": r"\vfystatus{proved}{\checkmark\ proved}",
    "confirmed": r"\vfystatus{confirmed}{\checkmark\ confirmed}",
    "refuted": r"\vfystatus{refuted}{$\times$ refuted}",
    "error": r"\vfystatus{error}{! error}",
    "timeout": r"\vfystatus{timeout}{! timeout}",
}


def _status(step: StepResult) -> str:
    mark = _MARK[step.status]
    if step.failed:
        return mark + r" \vfystatus{refuted}{\fbox{FAILED}} " + text(_report.verdict(step).removeprefix("FAILED: "))
    if step.expected == "refuted":
        return mark + r" \emph{(as expected: a documented error in the source)}"
    return mark


def _table(header: tuple[str, str], rows: list[tuple[str, str]], key=None) -> str:
    """A two-column table; ``key`` renders the first cell (default: an identifier)."""
    key = key or ident
    out = [r"\begin{tabular}{@{}>{\raggedright}p{0.3\linewidth}>{\raggedright\arraybackslash}p{0.55\linewidth}@{}}"]
    out.append(r"\toprule " + f"\\textbf{{{text(header[0])}}} & \\textbf{{{text(header[1])}}}" + r" \\ \midrule")
    out += [f"{key(k)} & {prose(v)} \\\\" for k, v in rows]
    out.append(r"\bottomrule")
    out.append(r"\end{tabular}")
    return "\\begin{center}\n" + "\n".join(out) + "\n\\end{center}\n"


def _symbol(key: tuple[str, str | None]) -> str:
    """A counterexample's symbol: its declared LaTeX (whitelisted) in math, else its name."""
    name, latex = key
    return "$" + safe_math(latex) + "$" if latex else ident(name)


@dataclass(frozen=True)
class _Levels:
    """Sectioning commands: a whole document's, or a fragment's one level down."""

    part: str
    document: str
    core: str
    audit: str
    step: str
    label: str


_DOCUMENT = _Levels("part*", "section", "section", "subsection", "subsubsection*", "subsection*")
_FRAGMENT = _Levels("section", "subsection", "subsection", "subsubsection", "paragraph*", "subsubsection*")


def _step(step: StepResult, verified: bool, heading: str = "subsubsection*") -> str:
    out = [rf"\{heading}{{" + ident(step.id) + "}"]
    loc = _report.location(step.source)
    meta = [_status(step)]
    if verified:
        meta.append(r"\emph{verified with everything it uses}")
    if loc:
        meta.append("source: " + text(loc))
    out.append(r" \quad ".join(meta) + r"\par")
    out.append(display(safe_math(step.claim_latex)))
    if step.justification:
        out.append(r"\textbf{Justification.} " + prose(step.justification) + r"\par")
    out.append(r"\textbf{Method.} " + text(_report.method(step)) + r"\par")
    if step.uses:
        out.append(r"\textbf{Uses.} " + ", ".join(ident(u) for u in step.uses) + r"\par")
    for label, note in _report.notes(step):
        out.append(rf"\textbf{{{text(label.capitalize())}.}} " + prose(note) + r"\par")
    if step.counterexample:
        out.append(r"\textbf{Counterexample.}\par")
        rows = [((k, latex), v) for k, latex, v in _report.counterexample_rows(step)]
        out.append(_table(("symbol", "value"), rows, key=_symbol))
    if step.values:
        out.append(_table(("evaluated", "value"), list(step.values.items())))
    if step.reproduction:
        out.append(r"\textbf{Reproduction} (published vs recomputed).\par")
        out.append(_table(("field", "value"), _report.reproduction_rows(step)))
    if step.correction_latex:
        out.append(rf"\textbf{{Corrected form}} ({text(_report.correction_note(step))}).\par")
        out.append(display(safe_math(step.correction_latex)))
    return "\n".join(out) + "\n"


def _derivation(d: DerivationResult, heading: str, step_heading: str = "subsubsection*") -> str:
    out = [rf"\{heading}{{" + text(d.title) + "}", rf"\label{{vfy:{_label(d.id)}}}"]
    out.append(r"\textbf{Id} " + ident(d.id) + r" \quad \textbf{Source} " + text(_report.location(d.source)) + r"\par")
    if d.summary:
        out.append(r"\emph{" + prose(d.summary) + r"}\par")
    out.append(text(_report.verified_line(d)) + r".\par")
    verified = d.verified()
    out += [_step(s, verified[s.id], step_heading) for s in d.steps]
    return "\n".join(out)


def _label(ident_: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in ident_)


def _summary_table(result: RunResult) -> str:
    cols = [*COUNTS, "failed"]
    out = [
        r"{\small\setlength\tabcolsep{4pt}",
        r"\begin{longtable}{@{}>{\raggedright}p{0.27\linewidth}l" + "r" * len(cols) + "@{}}",
    ]
    # a two-word count name is stacked over two lines, so the table fits the text width
    names = [r"\shortstack[r]{" + r"\\".join(_report.COUNT_NAMES.get(c, c).split()) + "}" for c in cols]
    head = r"\textbf{derivation} & \textbf{kind} & " + " & ".join(rf"\textbf{{{c}}}" for c in names) + r" \\"
    out += [r"\toprule", head, r"\midrule", r"\endhead"]
    for d in _in_report_order(result):
        c = _report.counts(d)
        cells = [str(c[k]) if c[k] else r"\textcolor{gray}{0}" for k in cols]
        if c["failed"]:
            cells[-1] = rf"\vfystatus{{refuted}}{{{c['failed']}}}"
        name = rf"\hyperref[vfy:{_label(d.id)}]{{" + text(d.title) + "}"
        out.append(f"{name} & {text(d.kind)} & " + " & ".join(cells) + r" \\")
    s = result.summary()
    out.append(r"\midrule")
    out.append(r"\textbf{total} & & " + " & ".join(rf"\textbf{{{s[k]}}}" for k in cols) + r" \\")
    out.append(r"\bottomrule")
    out.append(r"\end{longtable}}")
    return "\n".join(out)


def _in_report_order(result: RunResult) -> list[DerivationResult]:
    return [d for part in _report.parts(result) for group in part.groups for d in group.derivations]


def render_latex(result: RunResult, title: str = "Proof report", fragment: bool = False) -> str:
    """The report of ``result`` as a standalone LaTeX document (pdflatex, no shell escape).

    With ``fragment``, a body to ``\\input`` into another document (e.g. a paper's appendix): no
    preamble, no title, sections one level down (``\\section`` per part). The including document
    loads the packages of :data:`PACKAGES` (``hyperref`` is optional); the fragment defines only
    macros named ``\\vfy…`` and writes the non-ASCII characters it prints as LaTeX (they cannot be
    declared after the including document's preamble).
    """
    levels = _FRAGMENT if fragment else _DOCUMENT
    s = result.summary()
    body = []
    if not fragment:
        body += [r"\begin{document}", r"\begin{center}", r"{\LARGE " + text(title) + r"\par}\medskip"]
        body.append(r"{\large verify " + text(result.tool_version) + r" --- profile " + text(result.profile) + r"\par}")
        body.append(r"\end{center}")
        body.append(r"\section*{Summary}")
    else:
        body.append(rf"\{levels.part}{{" + text(title) + "}")
    verdict = (
        rf"\vfystatus{{refuted}}{{{s['failed']} step(s) FAILED}}"
        if s["failed"]
        else r"\vfystatus{proved}{all as expected}"
    )
    body.append(text(_report.overall(result).split(";")[0]) + "; " + verdict + r".\par")
    body.append(
        r"A step is \emph{proved} when SymPy reduced it to exactly zero (or decided its sign) under the declared "
        r"assumptions; \emph{confirmed} when only the numeric fuzzer vouches for it; \emph{refuted} with a "
        r"counterexample; \emph{error} or \emph{timeout} when it could not be checked. A step \emph{fails} when its "
        r"status contradicts its expectation (audits expect the documented errors of a source to be refuted).\par"
    )
    body.append(_summary_table(result))
    body.append(rf"\{levels.label}{{Environment}}")
    body.append(_table(("component", "version"), _report.environment_rows(result)))
    for part in _report.parts(result):
        if not fragment:
            body.append(r"\clearpage")
        body.append(rf"\{levels.part}{{" + text(part.title) + "}")
        for group in part.groups:
            if group.document is None:
                body += [_derivation(d, levels.core, levels.step) for d in group.derivations]
            else:
                body.append(rf"\{levels.document}{{Document " + text(group.document) + "}")
                line = _report.coverage_line(result, group.document)
                if line:
                    body.append(text(line) + "\n")
                body += [_derivation(d, levels.audit, levels.step) for d in group.derivations]
    if fragment:
        text_body = "\n".join(body) + "\n"
        head = "% verify proof report (fragment): \\input it into a document that loads\n"
        head += "".join("% " + line + "\n" for line in PACKAGES.splitlines())
        return head + _MACROS + _unicode_inline(text_body)
    body.append(r"\end{document}")
    text_body = "\n".join(body) + "\n"
    return _PREAMBLE + _MACROS + _unicode_declarations(text_body) + "\n" + text_body


# ---------------------------------------------------------------------------- compiling


def compile_pdf(tex: Path, log: Path | None = None) -> Path:
    """Compile ``tex`` into a PDF beside it; the PDF's path (and TeX's log at ``log`` if given).

    TeX runs in a fresh build directory holding only a copy of the document, with shell escape
    off and file access confined (``openin_any``/``openout_any`` paranoid: no absolute paths, no
    parent directories, no dot files), so nothing outside the build directory is read or written
    whatever the document says; the build directory is removed afterwards. latexmk is used
    without rc files when installed, else pdflatex twice. Raises :class:`UsageError` when TeX is
    not installed (naming the install command) or when compilation fails (naming its first error).
    """
    tex = tex.resolve()
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
        commands = [["latexmk", "-norc", "-pdf", "-quiet", *flags, "report.tex"]]
    elif shutil.which("pdflatex"):
        once = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "report.tex"]
        commands = [once, once]
    else:
        raise UsageError(f"--pdf needs pdflatex, which is not installed; install TeX Live with: {TEX_INSTALL}")
    env = {**os.environ, "openin_any": "p", "openout_any": "p", "shell_escape": "f"}
    env.pop("TEXINPUTS", None)
    with tempfile.TemporaryDirectory(prefix="verify-tex-") as build:
        source = Path(build) / "report.tex"
        shutil.copyfile(tex, source)
        for command in commands:
            try:
                done = subprocess.run(
                    command, cwd=build, env=env, capture_output=True, text=True, timeout=600, check=False
                )
            except subprocess.TimeoutExpired:
                raise UsageError(f"{command[0]} did not finish within 600 s on {tex}") from None
            if done.returncode != 0:
                log = tex.with_suffix(".log")
                with contextlib.suppress(OSError):
                    shutil.copyfile(source.with_suffix(".log"), log)
                raise UsageError(f"{command[0]} failed on {tex}: {_first_error(log)} (see {log})")
        built = source.with_suffix(".pdf")
        if not built.exists():
            raise UsageError(f"{commands[0][0]} produced no PDF for {tex}")
        pdf = tex.with_suffix(".pdf")
        shutil.copyfile(built, pdf)
        if log is not None:
            shutil.copyfile(source.with_suffix(".log"), log)
    return pdf


def _first_error(log: Path) -> str:
    try:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("!"):
                return line.lstrip("! ").strip()
    except OSError:
        pass
    return "no error line in the log"
