"""The examples of the user guide run, so they cannot rot.

In ``docs/guide.md``: ```` ```python ```` blocks starting ``# file: PATH`` are written to PATH,
other ``python`` blocks are executed; each ``python -m verify …`` line of a ```` ```bash ````
block runs through :func:`verify.cli.main` and must exit 0, or N when it ends in ``# exit N``.
In ```` ```bash norun ```` and ```` ```yaml ```` blocks every ``python -m verify …`` command line
must parse.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from verify.cli import _parser, main

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
COMMAND = re.compile(r"python -m verify\b([^\n]*)")
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def blocks(page: str) -> list[tuple[str, str]]:
    """``(info string, body)`` of every fenced block of ``page``."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer((DOCS / page).read_text(encoding="utf-8"))]


def command_argv(rest: str) -> list[str]:
    """The arguments after ``python -m verify`` up to a shell operator or comment."""
    argv = []
    for token in shlex.split(rest, comments=True):
        if token in ("|", "||", "&&", ">", ">>", ";"):
            break
        argv.append(token)
    return argv


def test_fence_parser_and_command_lines() -> None:
    assert command_argv(' report --format markdown >> "$GITHUB_STEP_SUMMARY" || true') == [
        "report",
        "--format",
        "markdown",
    ]
    assert command_argv(" loss 'a*b' --quiet  # exit 1") == ["loss", "a*b", "--quiet"]
    kinds = {info for info, _ in blocks("guide.md")}
    assert {"python", "bash", "bash norun", "yaml"} <= kinds


@pytest.mark.parametrize("page", ["guide.md"])
def test_documented_commands_parse(page: str) -> None:
    checked = 0
    for info, body in blocks(page):
        if info.split()[:1] in (["bash"], ["yaml"]):
            for match in COMMAND.finditer(body):
                argv = command_argv(match.group(1))
                _parser().parse_args(argv)  # raises UsageError on an unknown command or option
                checked += 1
    assert checked >= 10


@pytest.mark.parametrize("page", ["guide.md"])
def test_guide_examples_run(page: str, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    # the guide's commands are run in this repository, whose own derivations are the examples
    (tmp_path / "pyproject.toml").write_text('[tool.verify]\npackages = ["derivations"]\n')
    monkeypatch.setenv("VERIFY_CACHE_DIR", str(tmp_path / ".verify_cache"))
    before = set(sys.modules)
    namespace: dict = {"__name__": "guide_example"}
    ran = 0
    try:
        for info, body in blocks(page):
            if info == "python":
                first, _, rest = body.partition("\n")
                if first.startswith("# file: "):
                    path = tmp_path / first.removeprefix("# file: ").strip()
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(rest, encoding="utf-8")
                else:
                    exec(compile(body, f"{page} example", "exec"), namespace)
                    ran += 1
            elif info == "bash":
                for line in body.splitlines():
                    if not line.strip() or line.lstrip().startswith("#"):
                        continue
                    assert line.startswith("python -m verify "), f"{page}: {line!r} cannot run here; mark it norun"
                    expected = int(m.group(1)) if (m := EXIT.search(line)) else 0
                    code = main(command_argv(line.removeprefix("python -m verify")))
                    out = capsys.readouterr()
                    assert code == expected, f"{page}: {line!r} exited {code}: {out.err.strip()}"
                    ran += 1
    finally:
        for name in set(sys.modules) - before:
            if name.split(".")[0] == "my_derivations":
                del sys.modules[name]
    assert ran >= 8
    assert (tmp_path / "two_logits.md").read_text(encoding="utf-8").startswith("# Proof report\n")
    assert r"\section{Two logits: softmax, shift and temperature}" in (tmp_path / "two_logits.tex").read_text("utf-8")
    assert (tmp_path / "grads.npz").exists()


def test_generator_writes_the_example_report(tmp_path, capsys) -> None:
    import runpy

    from report_data import sample_result

    from verify.render.markdown import render_markdown

    saved = tmp_path / "run.json"
    saved.write_text(sample_result().dumps(), encoding="utf-8")
    generate = runpy.run_path(str(DOCS / "generate.py"))["main"]
    assert generate(["--from-json", str(saved), "--no-pdf", "--out-dir", str(tmp_path)]) == 1  # the sample fails
    expected = render_markdown(sample_result(), "Proof report of the verify repository")
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == expected
    assert not (tmp_path / "report.pdf").exists()
