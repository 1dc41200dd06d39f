"""Command-line options of ``all``/``check`` for the verdict cache and the hard per-step limit."""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass
from pathlib import Path

from verify.cache import DEFAULT_DIR, VerdictCache
from verify.errors import UsageError
from verify.numeric import Profile
from verify.runner import default_step_timeout


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``, ``--cache-dir DIR`` and ``--step-timeout SECONDS``."""
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


@dataclass
class RunOptions:
    cache: VerdictCache | None
    step_timeout: float | None

    def warnings(self) -> list[str]:
        return list(self.cache.warnings) if self.cache else []


def run_options(args: argparse.Namespace, profile: Profile) -> RunOptions:
    """Validate the options and build the cache (None with ``--no-cache``)."""
    if args.no_cache and args.cache_dir:
        raise UsageError("--no-cache and --cache-dir contradict each other; give one of them")
    limit = args.step_timeout
    if limit is not None and (not math.isfinite(limit) or limit < 0):
        raise UsageError(f"--step-timeout={limit:g} must be a number of seconds ≥ 0 (0 for no limit)")
    if limit is None:
        limit = default_step_timeout(profile)
    cache = None
    if not args.no_cache:
        directory = Path(args.cache_dir or os.environ.get("VERIFY_CACHE_DIR") or DEFAULT_DIR)
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"--cache-dir {str(directory)!r} is a file, not a directory; give a directory")
        cache = VerdictCache(directory, profile)
    return RunOptions(cache, limit or None)
