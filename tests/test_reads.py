"""Data files a derivation reads are part of what its stored results depend on.

A claim built from a table read at import time, and a ``Reported`` number recomputed from a
log, depend on files no source fingerprint sees; a change to such a file must be checked again,
by the snapshot, the module-level cache and the claim-level cache alike.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import hypothesis
import pytest
import sympy as sp
from test_cache import cli, make_package, statuses

from verify import Derivation, Equal, ForSizes, Source, Step, var
from verify.domains import REAL
from verify.profiles import PROFILES
from verify.results import StepResult
from verify.run import reads
from verify.run.cache import VerdictCache
from verify.run.runner import check_or_reuse


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_recording_keeps_data_read_not_code_written_or_excluded(tmp_path):
    data, written, code = tmp_path / "table.json", tmp_path / "out.txt", tmp_path / "helper.py"
    data.write_text('{"c": 2}')
    code.write_text("X = 1\n")
    skipped = tmp_path / "cache"
    skipped.mkdir()
    (skipped / "verdict.json").write_text("{}")
    with reads.recording(exclude=(skipped,)) as got:
        json.loads(data.read_text())
        written.write_text("a log this step wrote")
        code.read_text()
        (skipped / "verdict.json").read_text()
        (Path(hypothesis.__file__).parent / "vendor" / "tlds-alpha-by-domain.txt").read_text()  # installed
        with reads.recording() as inner:
            data.read_bytes()
    assert got == {str(data): _sha(data)}
    assert inner == {str(data): _sha(data)}
    assert reads.changed(got) == []
    data.write_text('{"c": 3}')
    assert reads.changed(got) == [str(data)]
    data.unlink()
    assert reads.digests([str(data)]) == {str(data): reads.MISSING}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_recorded_pipe_is_never_opened_again(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert reads.digests([str(fifo)]) == {str(fifo): reads.MISSING}  # would block if opened


def _table_family(path: Path) -> Derivation:
    x = var("x", REAL, "x")

    def build(n: int) -> Equal:
        c = json.loads(path.read_text())["c"]
        return Equal(sum(c * x for _ in range(n)), 2 * n * x)

    return Derivation(
        id="family",
        title="a family built from a table",
        source=Source("notes.md", "(1)"),
        steps=[Step("scaled", ForSizes(build, symbolic=(2,), numeric=(3,)), "c = 2")],
    )


def test_a_step_records_the_files_its_claim_was_built_from_and_the_claim_cache_checks_them(tmp_path):
    table = tmp_path / "table.json"
    table.write_text('{"c": 2}')
    d = _table_family(table)
    cache = VerdictCache(tmp_path / "cache", PROFILES["ci"])
    first, key, _ = check_or_reuse(d, d.steps[0], PROFILES["ci"], cache)
    assert first.status == "proved" and first.reads == {str(table): _sha(table)}
    cache.store_step(key, first)
    again, _, _ = check_or_reuse(_table_family(table), d.steps[0], PROFILES["ci"], cache)
    assert again.cached and again.reads == first.reads
    # a stored verdict whose data file changed is not replayed, even under the same key
    table.write_text('{"c": 2} ')
    assert cache.load_step(key, lambda: {}) is None


def _result(reads_: dict[str, str] | None) -> StepResult:
    return StepResult("s", {}, [], "x", "", "holds", "confirmed", "recomputed", samples=1, reads=reads_)


def test_the_module_cache_checks_the_import_time_files_and_each_steps_files(tmp_path):
    log, table = tmp_path / "log.json", tmp_path / "table.json"
    log.write_text("0.5")
    table.write_text("2")
    d = Derivation(id="d", title="t", source=Source("n", "1"), steps=[Step("s", Equal(sp.S(1), sp.S(1)), "")])
    cache = VerdictCache(tmp_path / "cache", PROFILES["ci"])
    imported = {str(table): _sha(table)}
    cache.store_derivation("k" * 40, [_result({str(log): _sha(log)})], imported)
    assert [s.cached for s in cache.load_derivation("k" * 40, d, imported)] == [True]
    assert cache.load_derivation("k" * 40, d, {}) is None  # this run's import read other files
    log.write_text("0.9")
    assert cache.load_derivation("k" * 40, d, imported) is None
    assert cache.warnings == []


LOG_READER = """
import json
from pathlib import Path
from verify import Derivation, Reported, Source, Step

LOG = Path(__file__).resolve().parents[1] / "logs" / "run.json"

def final_loss():
    return json.loads(LOG.read_text())["loss"]

derivation = Derivation(
    id="trainer",
    title="the trainer's number",
    source=Source("notes.md", "(1)"),
    steps=[Step("loss", Reported("final loss", "0.5", final_loss), "as logged")],
)
"""

TABLE_READER = """
import json
from pathlib import Path
from verify import Derivation, Equal, Source, Step, var
from verify.domains import REAL

x = var("x", REAL)
C = json.loads((Path(__file__).resolve().parents[1] / "logs" / "table.json").read_text())["c"]

derivation = Derivation(
    id="table",
    title="a claim built from a table",
    source=Source("notes.md", "(2)"),
    steps=[Step("linear", Equal(C * x + x, 3 * x), "c = 2")],
)
"""


def test_a_changed_log_or_table_outside_the_package_is_checked_again(tmp_path):
    make_package(tmp_path, trainer=LOG_READER, table=TABLE_READER)
    logs = tmp_path / "logs"
    logs.mkdir()

    def run() -> dict[str, tuple[str, bool]]:
        out, data = cli(tmp_path)
        assert out.returncode in (0, 1), out.stderr
        return statuses(data)

    (logs / "run.json").write_text('{"loss": 0.5}')
    (logs / "table.json").write_text('{"c": 2}')
    assert run() == {"trainer::loss": ("confirmed", False), "table::linear": ("proved", False)}
    assert run() == {"trainer::loss": ("confirmed", True), "table::linear": ("proved", True)}
    (logs / "run.json").write_text('{"loss": 0.9}')  # the trainer's new log: the number no longer holds
    assert run() == {"trainer::loss": ("refuted", False), "table::linear": ("proved", True)}
    assert run() == {"trainer::loss": ("refuted", True), "table::linear": ("proved", True)}
    (logs / "table.json").write_text('{"c": 5}')  # read at import time: any claim may depend on it
    assert run() == {"trainer::loss": ("refuted", True), "table::linear": ("refuted", False)}
    (logs / "run.json").write_text('{"loss": 0.5}')
    (logs / "table.json").write_text('{"c": 2}')
    assert run() == {"trainer::loss": ("confirmed", False), "table::linear": ("proved", True)}


def test_a_run_without_a_cache_reports_the_files_too(tmp_path):
    table = tmp_path / "table.json"
    table.write_text('{"c": 2}')
    d = _table_family(table)
    result, key, _ = check_or_reuse(d, d.steps[0], PROFILES["ci"], None)
    assert key is None and result.status == "proved" and result.reads == {str(table): _sha(table)}
