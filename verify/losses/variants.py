"""Files of named loss variants (TOML; YAML when PyYAML is installed).

Each variant is a table under ``variants`` with ``expr`` and optional ``params`` (name →
number), ``against`` (a catalog name) and ``claimed_grad``::

    [variants.my_dpo]
    expr = "-logsigmoid(beta*((logp_w - ref_logp_w) - (logp_l - ref_logp_l)))"
    against = "dpo"

    [variants.my_simpo]
    expr = "-logsigmoid(beta*(logp_w/len_w - logp_l/len_l) - gamma)"
    params = { gamma = 0.5 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from verify.errors import UsageError

SUFFIXES = (".toml", ".yaml", ".yml")
MAX_FILE_BYTES = 1_000_000
KEYS = {"expr", "params", "against", "claimed_grad"}


@dataclass
class VariantSpec:
    name: str
    expr: str
    params: dict[str, str] = field(default_factory=dict)
    against: str | None = None
    claimed_grad: str | None = None


def is_variant_file(text: str) -> bool:
    return text.lower().endswith(SUFFIXES)


def _read(path: Path) -> dict:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"variant file {str(path)!r} is larger than {MAX_FILE_BYTES:,} bytes; split it")
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read variant file {str(path)!r}: {exc.strerror}") from None
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: not valid TOML ({exc})") from None
    try:
        import yaml  # optional: pip install 'verify-po[yaml]'
    except ImportError:
        raise UsageError(
            f"{path}: reading YAML needs PyYAML (pip install 'verify-po[yaml]'); or write the file as TOML"
        ) from None
    try:
        text = raw.decode("utf-8")
        for event in yaml.parse(text, Loader=yaml.SafeLoader):  # events only: nothing is built yet
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise UsageError(
                    f"{path}:{mark.line + 1}: YAML aliases (*name) are not allowed in a variant file; "
                    "write each value out"
                )
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return data if isinstance(data, dict) else {}


def load_variants(path: str | Path) -> list[VariantSpec]:
    """The variants of a TOML/YAML file, in file order; malformed entries are a :class:`UsageError`."""
    path = Path(path)
    data = _read(path)
    table = data.get("variants")
    if not isinstance(table, dict) or not table:
        raise UsageError(f'{path}: no [variants.NAME] tables (each with expr = "...")')
    out = []
    for name, spec in table.items():
        where = f"{path}: variants.{name}"
        if not isinstance(spec, dict):
            raise UsageError(f'{where} must be a table with expr = "..."')
        unknown = sorted(set(spec) - KEYS)
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(KEYS))})")
        expr = spec.get("expr")
        if not isinstance(expr, str):
            raise UsageError(f'{where}: expr must be a string such as "-logsigmoid(beta*(logp_w - logp_l))"')
        params = spec.get("params", {})
        if not isinstance(params, dict):
            raise UsageError(f"{where}: params must be a table of name = number")
        values = {}
        for k, v in params.items():
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                raise UsageError(f"{where}: params.{k} = {v!r} is not a number")
            values[str(k)] = repr(v) if isinstance(v, float) else str(v)
        for key in ("against", "claimed_grad"):
            if key in spec and not isinstance(spec[key], str):
                raise UsageError(f"{where}: {key} must be a string")
        out.append(VariantSpec(str(name), expr, values, spec.get("against"), spec.get("claimed_grad")))
    return out
