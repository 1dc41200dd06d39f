"""Run snapshot: a warm run of an unchanged package is answered without importing SymPy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_cache import ALPHA, BETA, HANGS, ROOT, cli, make_package, read_sealed, statuses, write_resealed

from verify.profiles import PROFILES
from verify.run import snapshot
from verify.run.cache import imported_names

HELPER_USER = """
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE
from tinyhelpers import scale

p = var("p", POSITIVE)

derivation = Derivation(
    id="gamma",
    title="a helper outside the package",
    source=Source("notes.md", "(4)"),
    steps=[Step("scaled", Equal(scale * p, p + p), "the helper's factor is 2")],
)
"""

PROBE = """
import runpy, sys
sys.argv = ["verify", *sys.argv[1:]]
try:
    runpy.run_module("verify", run_name="__main__")
except SystemExit as exc:
    heavy = sorted(m for m in ("sympy", "hypothesis", "numpy", "derivations", "tinypkg.alpha") if m in sys.modules)
    print("IMPORTED", ",".join(heavy), file=sys.stderr)
    print("MODULES", " ".join(sorted(m for m in sys.modules if m.startswith("tinypkg"))), file=sys.stderr)
    raise
"""


def probe(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m verify ARGS`` that reports on stderr which heavy modules it imported."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    env.pop("VERIFY_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )


def test_a_warm_run_is_answered_from_the_snapshot_without_sympy_or_the_derivations(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    cold, first = cli(tmp_path)
    assert cold.returncode == 0, cold.stderr
    assert (tmp_path / ".verify_cache" / snapshot.FILE).is_file()
    warm = probe(tmp_path, "all", "--package", "tinypkg", "--quiet", "--json", "out.json")
    assert warm.returncode == 0, warm.stderr
    # nothing heavy: not SymPy, Hypothesis, NumPy or the package
    assert warm.stderr.split("\nMODULES")[0].strip() == "IMPORTED"
    second = json.loads((tmp_path / "out.json").read_text())
    assert second["summary"]["cached"] == second["summary"]["steps"] == 4
    assert {k: v[0] for k, v in statuses(second).items()} == {k: v[0] for k, v in statuses(first).items()}
    assert second["environment"] == first["environment"] and second["profile"] == "ci"
    for d1, d2 in zip(first["derivations"], second["derivations"], strict=True):
        for s1, s2 in zip(d1["steps"], d2["steps"], strict=True):
            assert {**s1, "cached": True} == s2


def test_a_failing_expectation_is_still_exit_1_from_the_snapshot(tmp_path):
    make_package(tmp_path, alpha=ALPHA.replace('"a planted error", expected="refuted"', '"a planted error"'))
    first, _ = cli(tmp_path)
    assert first.returncode == 1
    again = probe(tmp_path, "all", "--package", "tinypkg", "--quiet")
    assert again.returncode == 1 and again.stderr.split("\nMODULES")[0].strip() == "IMPORTED"


def test_check_and_only_select_from_the_snapshot_and_unknown_ids_are_usage_errors(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    cli(tmp_path)
    out = probe(tmp_path, "check", "beta", "--package", "tinypkg", "--quiet", "--json", "out.json")
    assert out.returncode == 0 and out.stderr.split("\nMODULES")[0].strip() == "IMPORTED", out.stderr
    assert [d["id"] for d in json.loads((tmp_path / "out.json").read_text())["derivations"]] == ["beta"]
    out = probe(tmp_path, "all", "--only", "audit", "--package", "tinypkg", "--quiet", "--json", "out.json")
    assert out.returncode == 5  # nothing was checked, as pytest says when it collects nothing
    assert json.loads((tmp_path / "out.json").read_text())["derivations"] == []
    bad = probe(tmp_path, "check", "nope", "--package", "tinypkg", "--quiet")
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[0] == "verify: unknown derivation id(s): nope (known: alpha, beta)"


def test_a_partial_snapshot_is_completed_by_a_later_run(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    env.pop("VERIFY_CACHE_DIR", None)
    subprocess.run(
        [sys.executable, "-m", "verify", "check", "beta", "--package", "tinypkg", "--quiet"],
        env=env, cwd=tmp_path, check=True, timeout=300,
    )  # fmt: skip
    stored = read_sealed(tmp_path / ".verify_cache" / snapshot.FILE)
    assert sorted(stored["results"]) == ["beta"] and list(stored["listing"]) == ["alpha", "beta"]
    out = probe(tmp_path, "all", "--package", "tinypkg", "--quiet")  # alpha is missing: checked
    assert "tinypkg.alpha" in out.stderr
    again = probe(tmp_path, "all", "--package", "tinypkg", "--quiet")
    assert again.returncode == 0 and again.stderr.split("\nMODULES")[0].strip() == "IMPORTED"


def test_any_changed_source_misses_the_snapshot(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    make_package(tmp_path, alpha=ALPHA, gamma=HELPER_USER, _notes="NOTE = 1\n")
    (tmp_path / "tinyhelpers.py").write_text("scale = 2\n")
    first, data = cli(tmp_path)
    assert first.returncode == 0, first.stderr
    assert statuses(data)["gamma::scaled"] == ("proved", False)
    key = snapshot.fingerprint(["tinypkg"], PROFILES["ci"])
    for path, text in [
        (tmp_path / "tinypkg" / "_notes.py", "NOTE = 2\n"),  # a private module of the package
        (tmp_path / "tinyhelpers.py", "scale = 3\n"),  # a project module outside it, imported by gamma
    ]:
        original = path.read_text()
        path.write_text(text)
        assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) != key, path
        path.write_text(original)
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) == key
    assert snapshot.fingerprint(["tinypkg"], PROFILES["thorough"]) != key
    (tmp_path / "tinyhelpers.py").write_text("scale = 3\n")
    out, data = cli(tmp_path)
    assert out.returncode == 1
    assert statuses(data)["gamma::scaled"] == ("refuted", False)  # 3p ≠ 2p: the helper's change is seen


def test_a_corrupt_snapshot_is_ignored_with_one_warning_and_replaced(tmp_path):
    make_package(tmp_path, beta=BETA)
    cli(tmp_path)
    path = tmp_path / ".verify_cache" / snapshot.FILE
    path.write_text('{"format": 1, "key": ')
    out, data = cli(tmp_path)
    assert out.returncode == 0
    shown = path.relative_to(tmp_path)
    assert out.stderr.startswith(f"verify: warning: cache file {shown} is not trusted (it is not a sealed cache file)")
    assert out.stderr.endswith("ignored, checking again\n") and out.stderr.count("\n") == 1
    assert statuses(data) == {"beta::square": ("proved", True)}  # the verdict cache still answered
    again, _ = cli(tmp_path)
    assert again.stderr == ""


def test_a_snapshot_with_a_verdict_that_is_never_cached_is_not_trusted(tmp_path):
    make_package(tmp_path, beta=BETA)
    cli(tmp_path)
    path = tmp_path / ".verify_cache" / snapshot.FILE
    data = read_sealed(path)
    data["results"]["beta"]["steps"][0]["status"] = "timeout"
    write_resealed(path, "snapshot", snapshot.FILE, data)
    out, result = cli(tmp_path)
    assert "it holds a verdict that is never cached" in out.stderr
    assert statuses(result)["beta::square"][0] == "proved"


def test_no_snapshot_is_stored_when_a_step_timed_out_or_with_no_cache(tmp_path):
    make_package(tmp_path, beta=BETA, hangs=HANGS)
    out, _ = cli(tmp_path, "--step-timeout", "1")
    assert out.returncode == 1
    assert not (tmp_path / ".verify_cache" / snapshot.FILE).exists()
    (tmp_path / ".verify_cache").rename(tmp_path / "old_cache")
    cli(tmp_path, "--no-cache", "--step-timeout", "1")
    assert not (tmp_path / ".verify_cache").exists()


def test_imported_names_resolve_relative_imports_and_parent_packages():
    source = "import a.b.c, d\nfrom . import sib\nfrom ..up import (x,\n  y)\n    from e.f import g  # indented\n"
    assert imported_names(source, "pkg.sub") == {
        "a", "a.b", "a.b.c", "d", "pkg", "pkg.sub", "pkg.sub.sib", "pkg.up", "pkg.up.x", "pkg.up.y",
        "e", "e.f", "e.f.g",
    }  # fmt: skip


def test_a_changed_source_document_misses_the_snapshot_and_other_files_do_not(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    make_package(tmp_path, alpha=ALPHA)
    sources = tmp_path / "tinypkg" / "sources"
    sources.mkdir()
    (sources / "notes.md").write_text("$$ p = p $$\n")
    (tmp_path / "tinypkg" / "README.md").write_text("about the package\n")
    key = snapshot.fingerprint(["tinypkg"], PROFILES["ci"])
    (tmp_path / "tinypkg" / "README.md").write_text("changed, but no derivation reads it\n")
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) == key
    (sources / "notes.md").write_text("$$ p = 2 p $$\n")  # the ledger's anchors are checked against this text
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) != key


def test_the_audited_documents_ship_with_the_derivations_package():
    from derivations import _notation

    sources = ROOT / "derivations" / "audits" / "sources"
    names = [_notation.DPO_NOTES, _notation.DPO_VS_IPO, _notation.HONEY_REWARD_MODEL, _notation.DPO_MIXTURE]
    for name in [*names, _notation.CONSTRAINTS_PAPER]:
        assert (sources / name).stat().st_size > 1000, name
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'verify_derivations = ["audits/sources/*.txt"]' in pyproject


# --- one module changed: only it is imported ----------------------------------------------------------------

BETA_MORE = BETA.replace(
    'steps=[Step("square", Equal((x + 1) ** 2, x**2 + 2 * x + 1), "binomial")],',
    'steps=[Step("square", Equal((x + 1) ** 2, x**2 + 2 * x + 1), "binomial"),\n'
    '           Step("cube_wrong", Equal((x + 1) ** 3, x**3 + 1), "a new, false step")],',
)


def _imported(run: subprocess.CompletedProcess) -> set[str]:
    line = [ln for ln in run.stderr.splitlines() if ln.startswith("IMPORTED")][-1]
    return set(filter(None, line.removeprefix("IMPORTED").strip().split(",")))


def test_a_run_after_one_module_changed_imports_only_that_module(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    cold, first = cli(tmp_path)
    assert cold.returncode == 0, cold.stderr
    (tmp_path / "tinypkg" / "beta.py").write_text(BETA_MORE)
    again = probe(tmp_path, "all", "--package", "tinypkg", "--quiet", "--json", "out.json")
    assert again.returncode == 1, again.stderr  # the new step is refuted, unexpectedly
    assert "sympy" in _imported(again) and "tinypkg.alpha" not in _imported(again)
    got = statuses(json.loads((tmp_path / "out.json").read_text()))
    assert [k for k, (_, cached) in got.items() if not cached] == ["beta::cube_wrong"]  # square: the verdict cache
    assert got["beta::cube_wrong"][0] == "refuted"
    assert {k: v for k, v in got.items() if k.startswith("alpha::")} == {
        k: (v[0], True) for k, v in statuses(first).items() if k.startswith("alpha::")
    }
    assert list(got) == [*(k for k in statuses(first) if k.startswith("alpha::")), "beta::square", "beta::cube_wrong"]
    # the same verdicts as a run that checks everything
    _, everything = cli(tmp_path, "--no-cache")
    assert {k: v[0] for k, v in statuses(everything).items()} == {k: v[0] for k, v in got.items()}
    # and the snapshot now answers the next run whole, the unchanged module's results as first checked
    warm = probe(tmp_path, "all", "--package", "tinypkg", "--quiet", "--json", "warm.json")
    assert warm.returncode == 1 and _imported(warm) == set()
    alpha_then = next(d for d in first["derivations"] if d["id"] == "alpha")
    alpha_now = next(d for d in json.loads((tmp_path / "warm.json").read_text())["derivations"] if d["id"] == "alpha")
    assert alpha_now == {**alpha_then, "steps": [{**s, "cached": True} for s in alpha_then["steps"]]}


def test_a_module_importing_the_changed_one_is_imported_again_too(tmp_path):
    gamma = ALPHA.replace('id="alpha"', 'id="gamma"').replace(
        "from verify.domains import POSITIVE", "from verify.domains import POSITIVE\nfrom tinypkg.beta import x"
    )
    make_package(tmp_path, alpha=ALPHA, beta=BETA, gamma=gamma)
    assert cli(tmp_path)[0].returncode == 0
    (tmp_path / "tinypkg" / "beta.py").write_text(BETA_MORE)
    again = probe(tmp_path, "all", "--package", "tinypkg", "--quiet")
    assert "tinypkg.alpha" not in _imported(again)
    assert {"tinypkg.beta", "tinypkg.gamma"} <= set(again.stderr.split("MODULES ")[-1].split())


def test_a_changed_private_helper_makes_every_module_count_as_changed(tmp_path, monkeypatch):
    make_package(tmp_path, alpha=ALPHA, beta=BETA, _helpers="FACTOR = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cli(tmp_path)[0].returncode == 0
    before = snapshot.module_digests(["tinypkg"])
    (tmp_path / "tinypkg" / "_helpers.py").write_text("FACTOR = 3\n")
    after = snapshot.module_digests(["tinypkg"])
    assert before is not None and after is not None and list(before) == list(after)
    assert all(before[m] != after[m] for m in before)  # nobody imports it, yet every digest changed
    (tmp_path / "tinypkg" / "_helpers.py").write_text("FACTOR = 2\n")
    assert snapshot.module_digests(["tinypkg"]) == before


def test_a_changed_module_whose_id_clashes_with_an_unchanged_one_is_reported_as_a_whole_load_reports_it(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    assert cli(tmp_path)[0].returncode == 0
    (tmp_path / "tinypkg" / "beta.py").write_text(BETA.replace('id="beta"', 'id="alpha"'))
    out, _ = cli(tmp_path)
    assert out.returncode == 1 and "derivation id 'alpha' is defined twice" in out.stderr


def _stored(modules: dict[str, tuple[str, list[str]]], results: list[str]) -> snapshot.Snapshot:
    from verify.results import DerivationResult

    listing = {i: "core" for _, got in modules.values() for i in got}
    found = {i: DerivationResult(id=i, title=i, source="s", kind="core", steps=[]) for i in results}
    return snapshot.Snapshot("key", listing, found, {}, "engine", modules)


def test_only_a_snapshot_of_the_same_engine_and_modules_answers_for_the_unchanged_ones():
    stored = _stored({"p.a": ("1", ["a"]), "p.b": ("2", ["b", "c"])}, ["a", "b", "c"])
    assert stored.changed_modules("engine", {"p.a": "1", "p.b": "9"}) == ["p.b"]
    assert stored.changed_modules("engine", {"p.a": "1", "p.b": "2"}) is None  # nothing changed: a whole hit
    assert stored.changed_modules("other engine", {"p.a": "1", "p.b": "9"}) is None
    assert stored.changed_modules("engine", {"p.a": "1", "p.b": "9", "p.new": "3"}) is None  # a module added
    assert stored.changed_modules("engine", {"p.b": "9"}) is None  # a module removed
    assert stored.changed_modules("engine", None) is None
    partly = _stored({"p.a": ("1", ["a"]), "p.b": ("2", ["b", "c"])}, ["a", "b"])  # c never stored
    assert partly.changed_modules("engine", {"p.a": "9", "p.b": "2"}) is None
    assert partly.changed_modules("engine", {"p.a": "1", "p.b": "9"}) == ["p.b"]


def test_a_module_that_may_import_or_read_files_unseen_depends_on_every_file(tmp_path, monkeypatch):
    # an import the import lines do not show: its module counts as changed whatever file changed
    dynamic = 'import importlib\nBETA = importlib.import_module("tinypkg.beta")\n'
    make_package(tmp_path, alpha=ALPHA, beta=BETA, gamma=dynamic, delta=ALPHA.replace('id="alpha"', 'id="delta"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    before = snapshot.module_digests(["tinypkg"])
    (tmp_path / "tinypkg" / "beta.py").write_text(BETA_MORE)
    after = snapshot.module_digests(["tinypkg"])
    assert before is not None and after is not None
    changed = {m for m in before if before[m] != after[m]}
    assert changed == {"tinypkg.beta", "tinypkg.gamma"}  # not alpha or delta, which import neither


def test_a_changed_module_left_out_of_a_selection_is_never_stored_with_its_old_results(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    assert cli(tmp_path)[0].returncode == 0
    false_beta = BETA.replace("x**2 + 2 * x + 1", "x**2 + 1").replace('"binomial"', '"binomial", expected="refuted"')
    (tmp_path / "tinypkg" / "beta.py").write_text(false_beta)
    only_alpha = probe(tmp_path, "check", "alpha", "--package", "tinypkg", "--quiet", "--json", "out.json")
    assert only_alpha.returncode == 0, only_alpha.stderr
    assert [d["id"] for d in json.loads((tmp_path / "out.json").read_text())["derivations"]] == ["alpha"]
    everything = probe(tmp_path, "all", "--package", "tinypkg", "--quiet", "--json", "out.json")
    assert everything.returncode == 0, everything.stderr
    got = statuses(json.loads((tmp_path / "out.json").read_text()))
    assert got["beta::square"] == ("refuted", False)  # checked now: not the stored "proved" of the old module


def test_one_reading_of_the_sources_gives_the_same_keys_as_reading_them_for_each(tmp_path, monkeypatch):
    import pathlib

    monkeypatch.syspath_prepend(str(tmp_path))
    make_package(tmp_path, alpha=ALPHA, gamma=HELPER_USER, _notes="NOTE = 1\n")
    (tmp_path / "tinyhelpers.py").write_text("scale = 2\n")
    fresh = (
        snapshot.fingerprint(["tinypkg"], PROFILES["ci"]),
        snapshot.engine_fingerprint(["tinypkg"], PROFILES["ci"]),
        snapshot.module_digests(["tinypkg"]),
    )
    reads: list[str] = []
    original = pathlib.Path.read_bytes
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: reads.append(str(self)) or original(self))
    sources = snapshot.SourceFiles()
    shared = (
        snapshot.fingerprint(["tinypkg"], PROFILES["ci"], sources),
        snapshot.engine_fingerprint(["tinypkg"], PROFILES["ci"], sources),
        snapshot.module_digests(["tinypkg"], sources),
    )
    assert shared == fresh and None not in shared
    assert reads and len(reads) == len(set(reads))  # every file read once for the three
    assert str((tmp_path / "tinyhelpers.py").resolve()) in reads  # the helper gamma imports is among them

    # a file changed after the reading: that reading does not see it, a reading again does
    (tmp_path / "tinyhelpers.py").write_text("scale = 3\n")
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"], sources) == fresh[0]
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"], sources.again()) != fresh[0]
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) != fresh[0]


def test_a_package_found_elsewhere_on_the_path_is_read_there_by_a_new_reading(tmp_path, monkeypatch):
    # module names are resolved per reading: a second package of the same name, first on the path
    # later (another checkout), is not answered with the first one's files
    first, second = tmp_path / "one", tmp_path / "two"
    for root, factor in ((first, 2), (second, 3)):
        root.mkdir()
        make_package(root, gamma=HELPER_USER)
        (root / "tinyhelpers.py").write_text(f"scale = {factor}\n")
    monkeypatch.syspath_prepend(str(first))
    one = snapshot.fingerprint(["tinypkg"], PROFILES["ci"])
    monkeypatch.syspath_prepend(str(second))
    for name in [m for m in sys.modules if m.split(".")[0] in ("tinypkg", "tinyhelpers")]:
        monkeypatch.delitem(sys.modules, name)
    two = snapshot.fingerprint(["tinypkg"], PROFILES["ci"])
    assert one is not None and two is not None and one != two
    (first / "tinyhelpers.py").write_text("scale = 5\n")
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) == two  # the first checkout no longer counts
    (second / "tinyhelpers.py").write_text("scale = 5\n")
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) != two  # the helper now imported is read


def test_a_project_under_the_interpreters_prefix_is_still_a_project(tmp_path, monkeypatch):
    # /usr/src/app with /usr/bin/python3: sys.base_prefix is a parent of the project; its helper
    # modules outside the package are still sources of the key, for the snapshot and the verdict cache
    from verify.run import cache

    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path.parent))
    make_package(tmp_path, gamma=HELPER_USER)
    (tmp_path / "tinyhelpers.py").write_text("scale = 2\n")
    assert not cache.installed(str(tmp_path / "tinyhelpers.py"))
    assert cache.installed(json.__file__) and cache.installed(os.path.dirname(json.__file__))
    key = snapshot.fingerprint(["tinypkg"], PROFILES["ci"])
    digests = snapshot.module_digests(["tinypkg"])
    (tmp_path / "tinyhelpers.py").write_text("scale = 3\n")
    assert snapshot.fingerprint(["tinypkg"], PROFILES["ci"]) != key
    assert snapshot.module_digests(["tinypkg"])["tinypkg.gamma"] != digests["tinypkg.gamma"]
