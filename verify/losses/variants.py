"""Files of named loss variants (TOML; YAML when PyYAML is installed).

Each variant is a table under ``variants`` with ``expr`` and optional ``params`` (name →
number), ``define`` (name → expression of an intermediate), ``against`` (a catalog name) and
``claimed_grad``::

    [variants.my_dpo]
    expr = "-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
    against = "dpo"

    [variants.my_simpo]
    expr = "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)"
    params = { gamma = 0.5 }
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from verify.errors import UsageError

SUFFIXES = (".toml", ".yaml", ".yml")
MAX_FILE_BYTES = 1_000_000
KEYS = {"expr", "params", "define", "against", "claimed_grad"}


@dataclass
class VariantSpec:
    name: str
    expr: str
    params: dict[str, str] = field(default_factory=dict)
    against: str | None = None
    claimed_grad: str | None = None
    define: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # why this variant cannot be checked (the others still are)


def is_variant_file(text: str) -> bool:
    return text.lower().endswith(SUFFIXES)


_HEADER = re.compile(r"^\s*\[\s*variants\s*\.\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)")


def _toml_by_variant(path: Path, text: str, error: tomllib.TOMLDecodeError) -> tuple[dict, dict[str, str]]:
    """A TOML file with a syntax error, read one ``[variants.NAME]`` section at a time.

    Returns the sections that parse, and for each that does not, the error naming its section;
    an error before the first section (or in a file without sections) is a :class:`UsageError`.
    """
    groups: dict[str | None, list[str]] = {None: []}
    current: str | None = None
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            current = m.group(1).strip("\"'")
            groups.setdefault(current, [])
        groups[current].append(line)
    if len(groups) == 1:
        raise UsageError(f"{path}: not valid TOML ({error})") from None
    try:
        tomllib.loads("\n".join(groups[None]))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML before the first [variants.NAME] section ({exc})") from None
    table: dict = {}
    broken: dict[str, str] = {}
    for name, lines in groups.items():
        if name is None:
            continue
        try:
            part = tomllib.loads("\n".join(lines)).get("variants", {})
        except tomllib.TOMLDecodeError as exc:
            broken[name] = f"not valid TOML in section [variants.{name}] ({exc}; lines counted from the section)"
            table[name] = None
            continue
        table.update(part)
    return {"variants": table}, broken


def _read(path: Path) -> tuple[dict, dict[str, str]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"variant file {str(path)!r} is larger than {MAX_FILE_BYTES:,} bytes; split it")
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read variant file {str(path)!r}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text), {}
        except tomllib.TOMLDecodeError as exc:
            return _toml_by_variant(path, text, exc)
    try:
        import yaml  # optional: pip install 'verify-po[yaml]'
    except ImportError:
        raise UsageError(
            f"{path}: reading YAML needs PyYAML (pip install 'verify-po[yaml]'); or write the file as TOML"
        ) from None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):  # events only: nothing is built yet
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise UsageError(
                    f"{path}:{mark.line + 1}: YAML aliases (*name) are not allowed in a variant file; "
                    "write each value out"
                )
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    return (data if isinstance(data, dict) else {}), {}


def _spec(name: str, spec: object) -> VariantSpec:
    """One variant from its table; a malformed table raises :class:`UsageError` (without the path)."""
    if not isinstance(spec, dict):
        raise UsageError('must be a table with expr = "..."')
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise UsageError(f"unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(sorted(KEYS))})")
    expr = spec.get("expr")
    if not isinstance(expr, str):
        raise UsageError('expr must be a string such as "-logsigmoid(beta*(logp_w - logp_l))"')
    params = spec.get("params", {})
    if not isinstance(params, dict):
        raise UsageError("params must be a table of name = number")
    values = {}
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise UsageError(f"params.{k} = {v!r} is not a number")
        values[str(k)] = repr(v) if isinstance(v, float) else str(v)
    define = spec.get("define", {})
    if not isinstance(define, dict) or not all(isinstance(v, str) for v in define.values()):
        raise UsageError('define must be a table of name = "expression"')
    for key in ("against", "claimed_grad"):
        if key in spec and not isinstance(spec[key], str):
            raise UsageError(f"{key} must be a string")
    defs = {str(k): v for k, v in define.items()}
    return VariantSpec(str(name), expr, values, spec.get("against"), spec.get("claimed_grad"), defs)


def load_variants(path: str | Path) -> list[VariantSpec]:
    """The variants of a TOML/YAML file, in file order.

    A malformed variant (or a TOML syntax error inside its section) does not stop the others:
    it is returned with ``error`` set to a one-line reason naming it. A file that cannot be
    read at all is a :class:`UsageError`.
    """
    path = Path(path)
    data, broken = _read(path)
    table = data.get("variants")
    if not isinstance(table, dict) or not table:
        raise UsageError(f'{path}: no [variants.NAME] tables (each with expr = "...")')
    out = []
    for name, spec in table.items():
        where = f"{path}: variants.{name}"
        if name in broken:
            out.append(VariantSpec(str(name), "", error=f"{path}: {broken[name]}"))
            continue
        try:
            out.append(_spec(name, spec))
        except UsageError as exc:
            out.append(VariantSpec(str(name), "", error=f"{where}: {exc}"))
    return out
