"""Command-line options of ``all``/``check`` for the verdict cache and the hard per-step limit.

Nothing here imports SymPy: a run answered from the snapshot never needs it.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from verify.errors import UsageError
from verify.profiles import Profile, default_step_timeout
from verify.run.cache import DEFAULT_DIR, VerdictCache


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``, ``--cache-dir DIR``, ``--step-timeout SECONDS`` and ``--no-diagnosis``."""
    parser.add_argument("--no-cache", action="store_true", help="check every step; neither read nor write the cache")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"where verdicts are cached (default: $VERIFY_CACHE_DIR, else {DEFAULT_DIR}/ in the current directory)",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        metavar="SECONDS",
        help="hard wall-clock limit per step; the step's process is stopped and the step reported "
        "timeout (default: 300 for the ci profile, 3000 for thorough; 0 for no limit)",
    )
    parser.add_argument(
        "--no-diagnosis",
        action="store_true",
        help="no repair hints for refuted steps and no assumption ledgers for true ones (a faster cold run)",
    )


@dataclass
class RunOptions:
    """The cache directory (None with ``--no-cache``) and the hard limit per step (None: none)."""

    profile: Profile
    cache_dir: Path | None
    step_timeout: float | None
    messages: list[str] = field(default_factory=list)
    _cache: VerdictCache | None = field(default=None, init=False, repr=False)

    @property
    def cache(self) -> VerdictCache | None:
        """The verdict cache, built on first use (its key needs SymPy's version and the engine's source)."""
        if self.cache_dir is not None and self._cache is None:
            self._cache = VerdictCache(self.cache_dir, self.profile)
        return self._cache

    def warnings(self) -> list[str]:
        """The run's cache warnings, each text once (with how many files it concerned)."""
        from verify.run import seal

        every = self.messages + (list(self._cache.warnings) if self._cache else [])
        if self.cache_dir is not None and (note := seal.key_note()) and (self._cache or self.messages):
            every.append(note)
        counts: dict[str, int] = {}
        for w in every:
            counts[w] = counts.get(w, 0) + 1
        return [w if n == 1 else f"{w} ({n} files)" for w, n in counts.items()]


def run_options(args: argparse.Namespace, profile: Profile) -> RunOptions:
    """Validate the options (the cache itself is built when first used); ``--no-diagnosis`` turns
    the profile's diagnosis off (a setting of the profile, so verdicts are cached per setting)."""
    if args.no_cache and args.cache_dir:
        raise UsageError("--no-cache and --cache-dir contradict each other; give one of them")
    limit = args.step_timeout
    if limit is not None and (not math.isfinite(limit) or limit < 0):
        raise UsageError(f"--step-timeout={limit:g} must be a number of seconds ≥ 0 (0 for no limit)")
    if limit is None:
        limit = default_step_timeout(profile)
    directory = None
    if not args.no_cache:
        directory = Path(args.cache_dir or os.environ.get("VERIFY_CACHE_DIR") or DEFAULT_DIR)
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"--cache-dir {str(directory)!r} is a file, not a directory; give a directory")
    if getattr(args, "no_diagnosis", False):
        profile = replace(profile, diagnose=False)
    return RunOptions(profile, directory, limit or None)
