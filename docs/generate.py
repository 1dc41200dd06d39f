"""Regenerate the example proof report of this repository: docs/report.md and docs/report.pdf.

    python docs/generate.py                     # check every derivation, then render
    python docs/generate.py --from-json run.json  # render a saved `python -m verify all --json` result

Runs from any directory; the PDF needs TeX Live (see docs/guide.md). Exit code: that of the
checks (1 when a step failed; the reports are written either way), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Proof report of the verify repository"


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from verify.cli import main as verify

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-json", metavar="PATH", help="a saved result of `python -m verify all --json`")
    parser.add_argument("--no-pdf", action="store_true", help="write docs/report.md only")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs", help="where to write (default: docs/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        saved = args.from_json
        status = 0
        if saved is None:
            saved = str(Path(tmp) / "run.json")
            status = verify(["all", "--json", saved, "--quiet"])
            if status == 2:
                return status
        common = ["report", "--from-json", saved, "--title", TITLE]
        code = verify([*common, "--format", "markdown", "--output", str(args.out_dir / "report.md")])
        if code == 2:
            return code
        if not args.no_pdf:
            tex = Path(tmp) / "report.tex"
            code = verify([*common, "--output", str(tex), "--pdf"])
            if code == 2:
                return code
            shutil.copyfile(tex.with_suffix(".pdf"), args.out_dir / "report.pdf")
            print(f"copied: {args.out_dir / 'report.pdf'}")
    return max(status, code)


if __name__ == "__main__":
    sys.exit(main())
