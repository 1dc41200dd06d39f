"""Verdict cache and the hard per-step limit, through the command line on a tiny package."""

from __future__ import annotations

import hmac
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sympy as sp

from verify import Equal, Step, var
from verify.domains import POSITIVE, REAL
from verify.run import seal
from verify.run.cache import claim_key, settings_fingerprint
from verify.search.fuzz import PROFILES

ROOT = Path(__file__).resolve().parents[1]

ALPHA = """
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE

p = var("p", POSITIVE)
q = var("q", POSITIVE)

derivation = Derivation(
    id="alpha",
    title="logs",
    source=Source("notes.md", "(1)"),
    steps=[
        Step("log_mul", Equal(sp.log(p * q), sp.log(p) + sp.log(q)), "log of a product"),
        Step("log_div", Equal(sp.log(p / q), sp.log(p) - sp.log(q)), "log of a quotient"),
        Step("log_pow_wrong", Equal(sp.log(p**2), sp.log(p)), "a planted error", expected="refuted"),
    ],
)
"""

BETA = """
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import REAL

x = var("x", REAL)

derivation = Derivation(
    id="beta",
    title="squares",
    source=Source("notes.md", "(2)"),
    steps=[Step("square", Equal((x + 1) ** 2, x**2 + 2 * x + 1), "binomial")],
)
"""

HANGS = """
import time
from verify import Derivation, Reported, Source, Step

def forever():
    time.sleep(1000)
    return 1.0

derivation = Derivation(
    id="hangs",
    title="a recomputation that never returns",
    source=Source("notes.md", "(3)"),
    steps=[Step("never_returns", Reported("a number", "1.0", forever), "hangs on purpose")],
)
"""


def make_package(tmp_path: Path, **modules: str) -> Path:
    pkg = tmp_path / "tinypkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    for name, source in modules.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path


def cli(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path)])
    env.pop("VERIFY_CACHE_DIR", None)
    out_json = tmp_path / "out.json"
    out = subprocess.run(
        [sys.executable, "-m", "verify", "all", "--package", "tinypkg", "--quiet", "--json", str(out_json), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    data = json.loads(out_json.read_text()) if out_json.exists() and out.returncode in (0, 1) else {}
    if out_json.exists():
        out_json.unlink()
    return out, data


def statuses(data: dict) -> dict[str, tuple[str, bool]]:
    return {f"{d['id']}::{s['id']}": (s["status"], s["cached"]) for d in data["derivations"] for s in d["steps"]}


def test_warm_run_reuses_every_verdict_and_reports_the_same_statuses(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    cold, first = cli(tmp_path, "--jobs", "2")
    assert cold.returncode == 0, cold.stderr
    assert first["summary"]["cached"] == 0
    warm, second = cli(tmp_path, "--jobs", "2")
    assert warm.returncode == 0, warm.stderr
    assert warm.stderr == ""
    assert second["summary"]["cached"] == second["summary"]["steps"] == 4
    assert (
        {k: v[0] for k, v in statuses(second).items()}
        == {k: v[0] for k, v in statuses(first).items()}
        == {
            "alpha::log_mul": "proved",
            "alpha::log_div": "proved",
            "alpha::log_pow_wrong": "refuted",
            "beta::square": "proved",
        }
    )
    assert (tmp_path / ".verify_cache" / "claims").is_dir()


def test_changing_one_derivation_rechecks_only_its_changed_claims(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    cli(tmp_path)
    # a new step, a changed claim and an unchanged one in alpha; beta untouched
    changed = ALPHA.replace('sp.log(p) - sp.log(q)), "log of a quotient"', 'sp.log(p) - sp.log(q)), "reworded"')
    changed = changed.replace("Equal(sp.log(p**2), sp.log(p))", "Equal(sp.log(p**3), sp.log(p))")
    assert changed != ALPHA
    make_package(tmp_path, alpha=changed)
    out, data = cli(tmp_path)
    assert out.returncode == 0, out.stderr
    assert statuses(data) == {
        "alpha::log_mul": ("proved", True),
        "alpha::log_div": ("proved", True),  # only its justification changed: the claim is the same
        "alpha::log_pow_wrong": ("refuted", False),  # p**3 instead of p**2: checked again
        "beta::square": ("proved", True),
    }
    step = next(s for d in data["derivations"] for s in d["steps"] if s["id"] == "log_div")
    assert step["justification"] == "reworded"  # the text comes from the current claim


def test_a_changed_domain_is_checked_again(tmp_path):
    make_package(tmp_path, alpha=ALPHA, beta=BETA)
    cli(tmp_path)
    make_package(tmp_path, beta=BETA.replace('var("x", REAL)', 'var("x", POSITIVE)').replace("REAL\n", "POSITIVE\n"))
    out, data = cli(tmp_path)
    assert out.returncode == 0, out.stderr
    assert statuses(data)["beta::square"] == ("proved", False)


def test_corrupt_cache_files_are_ignored_with_one_warning_each_and_rechecked(tmp_path):
    make_package(tmp_path, beta=BETA)
    cli(tmp_path)
    (tmp_path / ".verify_cache" / "snapshot.json").unlink()  # else the run snapshot answers (test_snapshot.py)
    files = sorted((tmp_path / ".verify_cache").rglob("*.json"))
    files = [f for f in files if f.name != "timings.json"]
    assert len(files) == 2  # one claim, one derivation
    for f in files:
        f.write_text('{"format": 1, "key": "not this one"')
    out, data = cli(tmp_path)
    assert out.returncode == 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2, out.stderr
    assert all(line.startswith("verify: warning: cache file ") and "ignored, checking again" in line for line in lines)
    assert statuses(data) == {"beta::square": ("proved", False)}
    again, data = cli(tmp_path)  # the recheck replaced the corrupt files
    assert again.stderr == ""
    assert statuses(data) == {"beta::square": ("proved", True)}


def read_sealed(path: Path) -> dict:
    """The JSON body of a sealed cache file (after its header line)."""
    return json.loads(path.read_bytes().partition(b"\n")[2])


def write_resealed(path: Path, kind: str, name: str, data: dict) -> None:
    """Write ``data`` sealed with the suite's key, as the cache itself would."""
    path.write_bytes(seal.seal(kind, name, json.dumps(data).encode()))


def test_a_cache_file_of_another_key_is_not_trusted(tmp_path):
    make_package(tmp_path, beta=BETA)
    cli(tmp_path)
    (module,) = (tmp_path / ".verify_cache" / "modules").rglob("*.json")
    data = read_sealed(module)
    data["steps"][0]["status"] = "refuted"  # a verdict of another claim, sealed with the right key
    data["key"] = "0" * 40
    write_resealed(module, "modules", module.stem, data)
    (tmp_path / ".verify_cache" / "snapshot.json").unlink()
    out, result = cli(tmp_path)
    assert "corrupt or stale" in out.stderr
    assert statuses(result)["beta::square"][0] == "proved"


def test_no_cache_neither_reads_nor_writes(tmp_path):
    make_package(tmp_path, beta=BETA)
    out, data = cli(tmp_path, "--no-cache")
    assert out.returncode == 0
    assert data["summary"]["cached"] == 0
    assert not (tmp_path / ".verify_cache").exists()
    cli(tmp_path, "--cache-dir", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / "claims").is_dir()
    assert not (tmp_path / ".verify_cache").exists()


def test_cache_option_errors_are_one_line_usage_errors(tmp_path):
    make_package(tmp_path, beta=BETA)
    (tmp_path / "afile").write_text("")
    for args, needle in [
        (["--no-cache", "--cache-dir", "x"], "--no-cache and --cache-dir contradict each other"),
        (["--cache-dir", str(tmp_path / "afile")], "is a file, not a directory"),
        (["--step-timeout", "-1"], "--step-timeout=-1 must be a number of seconds"),
        (["--step-timeout", "soon"], "--step-timeout: invalid float value: 'soon'"),
    ]:
        out, _ = cli(tmp_path, *args)
        assert out.returncode == 2, args
        assert out.stderr.count("\n") == 1 and needle in out.stderr, out.stderr


def test_a_hanging_step_is_stopped_at_the_hard_limit_and_reported_as_timeout(tmp_path):
    make_package(tmp_path, beta=BETA, hangs=HANGS)
    for jobs in ("1", "2"):
        start = time.monotonic()
        # a limit the other step meets even on a loaded machine (it is checked cold, in a fresh worker)
        out, data = cli(tmp_path, "--jobs", jobs, "--step-timeout", "4")
        elapsed = time.monotonic() - start
        assert out.returncode == 1, out.stderr
        assert elapsed < 60
        step = data["derivations"][[d["id"] for d in data["derivations"]].index("hangs")]["steps"][0]
        assert step["status"] == "timeout" and step["failed"] is True
        assert step["reason"] == (
            "exceeded the hard limit of 4 s per step (--step-timeout); its worker process was stopped"
        )
        assert 4 <= step["seconds"] < 30
        assert statuses(data)["beta::square"][0] == "proved"  # the other steps still ran
    # a timeout is never cached: the next run tries again
    out, data = cli(tmp_path, "--step-timeout", "1")
    assert statuses(data)["hangs::never_returns"] == ("timeout", False)


def test_claim_key_is_canonical():
    p, x = var("p_cache_key", POSITIVE), var("x_cache_key", REAL)
    settings = settings_fingerprint(PROFILES["ci"])

    def key(claim, s=settings):
        return claim_key(Step("s", claim), s)

    same = key(Equal(sp.log(p * 2), sp.log(p) + sp.log(2)))
    assert same == key(Equal(sp.log(2 * p), sp.log(2) + sp.log(p)))  # rebuilt: same canonical form
    assert same != key(Equal(sp.log(p * 3), sp.log(p) + sp.log(3)))
    assert key(Equal(x, x)) != key(Equal(p, p))
    assert key(Equal(sp.Float("0.5") * x, x / 2)) != key(Equal(sp.Rational(1, 2) * x, x / 2))
    assert same != key(Equal(sp.log(p * 2), sp.log(p) + sp.log(2)), settings_fingerprint(PROFILES["thorough"]))


FALSE_LOG = """
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE

a = var("a", POSITIVE)
b = var("b", POSITIVE)

derivation = Derivation(
    id="falselog",
    title="a false identity",
    source=Source("notes.md", "(9)"),
    steps=[Step("log_of_sum", Equal(sp.log(a + b), sp.log(a) + sp.log(b)), "false on purpose")],
)
"""


def _forge_proved(data: dict) -> None:
    """Turn every verdict in a cache file's data into an unconditional ``proved``."""

    def forge(step: dict) -> None:
        step.update(status="proved", method="symbolic", counterexample=None, values=None, reason=None)

    if "verdict" in data:
        forge(data["verdict"])
    for step in data.get("steps", []):
        forge(step)
    for derivation in data.get("results", {}).values():
        for step in derivation["steps"]:
            forge(step)


@pytest.mark.parametrize("level", ["claims", "modules", "snapshot"])
@pytest.mark.parametrize("how", ["edited", "sealed_by_another_key", "unsealed"])
def test_a_tampered_cache_never_turns_a_false_claim_into_proved(tmp_path, level, how):
    make_package(tmp_path, falselog=FALSE_LOG)
    first, data = cli(tmp_path)
    assert first.returncode == 1 and statuses(data) == {"falselog::log_of_sum": ("refuted", False)}
    cache = tmp_path / ".verify_cache"
    files = [cache / "snapshot.json"] if level == "snapshot" else list((cache / level).rglob("*.json"))
    assert files
    for path in files:  # the forger rewrites this level; the other levels are removed so it must answer
        raw = path.read_bytes()
        header, _, body = raw.partition(b"\n")
        forged = json.loads(body)
        _forge_proved(forged)
        text = json.dumps(forged).encode()
        if how == "edited":  # the old seal kept
            path.write_bytes(header + b"\n" + text)
        elif how == "unsealed":
            path.write_bytes(text)
        else:  # a valid seal, but under a key the forger controls
            other = hmac.new(b"k" * 32, b"x", "sha256").hexdigest().encode()
            path.write_bytes(b"verify-seal-1 0123456789abcdef " + other + b"\n" + text)
    for other_level in {"claims", "modules", "snapshot"} - {level}:
        target = cache / ("snapshot.json" if other_level == "snapshot" else other_level)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out, result = cli(tmp_path)
    assert out.returncode == 1, out.stderr
    assert statuses(result) == {"falselog::log_of_sum": ("refuted", False)}
    assert "ignored" in out.stderr


CUSTOM_FUNCTION = """
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE

x = var("x", POSITIVE)


class twice(sp.Function):
    @classmethod
    def eval(cls, arg):
        return 2 * arg


derivation = Derivation(
    id="custom",
    title="a claim about a custom function",
    source=Source("notes.md", "(1)"),
    steps=[Step("twice_is_double", Equal(twice(x), x + x), "by its definition")],
)
"""


def test_a_changed_custom_function_is_checked_again(tmp_path):
    make_package(tmp_path, custom=CUSTOM_FUNCTION)
    first, data = cli(tmp_path)
    assert first.returncode == 0 and statuses(data) == {"custom::twice_is_double": ("proved", False)}
    make_package(tmp_path, custom=CUSTOM_FUNCTION.replace("return 2 * arg", "return 3 * arg"))
    (tmp_path / ".verify_cache" / "snapshot.json").unlink()
    (modules,) = [tmp_path / ".verify_cache" / "modules"]
    shutil.rmtree(modules)  # only the claim level remains: its key must see the new definition
    out, result = cli(tmp_path)
    assert out.returncode == 1, out.stderr
    assert statuses(result)["custom::twice_is_double"][0] == "refuted"


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00 not utf-8", b"[" * 100_000 + b"]" * 100_000, b"", b"verify-seal-1 x y\n\xff"],
    ids=["not_utf8", "deeply_nested", "empty", "bad_seal"],
)
def test_corrupt_files_of_every_kind_are_ignored_and_healed(tmp_path, content):
    make_package(tmp_path, beta=BETA)
    cli(tmp_path)
    cache = tmp_path / ".verify_cache"
    for path in [*cache.rglob("*.json")]:
        path.write_bytes(content)
    out, data = cli(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert statuses(data) == {"beta::square": ("proved", False)}
    again, data = cli(tmp_path)
    assert again.returncode == 0 and again.stderr == ""
    assert statuses(data) == {"beta::square": ("proved", True)}


GAMMA_DYNAMIC = """
import importlib
import sympy as sp
from verify import Derivation, Equal, Source, Step, var
from verify.domains import POSITIVE

FACTOR = importlib.import_module("tinypkg._values").FACTOR  # no import line names the module
p = var("p", POSITIVE)

derivation = Derivation(
    id="gamma",
    title="a factor from a sibling",
    source=Source("notes.md", "(3)"),
    steps=[Step("doubled", Equal(FACTOR * p, 2 * p), "twice p")],
)
"""


def test_a_module_importing_a_sibling_without_an_import_line_is_checked_again_when_the_sibling_changes(tmp_path):
    make_package(tmp_path, beta=BETA, gamma=GAMMA_DYNAMIC, _values="FACTOR = 2\n")
    cold, first = cli(tmp_path)
    assert cold.returncode == 0, cold.stderr
    assert statuses(first)["gamma::doubled"] == ("proved", False)
    (tmp_path / "tinypkg" / "_values.py").write_text("FACTOR = 3\n")
    again, second = cli(tmp_path)
    assert again.returncode == 1, again.stderr
    assert statuses(second)["gamma::doubled"] == ("refuted", False)  # not the old module's stored "proved"
    assert statuses(second)["beta::square"] == ("proved", True)  # beta reads nothing: still its stored verdict


def test_fingerprinting_the_engine_imports_no_third_party_package():
    # the engine's sources name jax and torch (the code checker imports them on demand); looking up
    # ``jax.numpy`` to leave it out of the fingerprint would import jax (seconds) on every run
    code = (
        "import sys\n"
        "from verify.run.cache import engine_fingerprint, module_fingerprint\n"
        "engine_fingerprint(); module_fingerprint('verify.code.frameworks')\n"
        "print(sorted(m for m in ('jax', 'torch', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_fresh_check_builds_its_claim_once_for_the_key_and_the_verdict(tmp_path):
    from verify.model import Derivation, Source
    from verify.run.cache import VerdictCache
    from verify.run.runner import check_or_reuse

    built = []

    class Counted(Equal):
        def obligations(self):
            built.append(1)
            return super().obligations()

    t = var("tc_t", POSITIVE)
    step = Step(id="counted", claim=Counted(sp.log(t**2), 2 * sp.log(t)))
    derivation = Derivation(id="tc", title="t", source=Source("doc.txt", "x"), steps=[step])
    cache = VerdictCache(tmp_path, PROFILES["ci"])
    result, key, _ = check_or_reuse(derivation, step, PROFILES["ci"], cache)
    assert result.status == "proved" and key is not None and len(built) == 1
    assert result.seconds > 0  # building and checking, as the step's time
    cache.store_step(key, result)
    again, _, _ = check_or_reuse(derivation, step, PROFILES["ci"], cache)
    assert again.cached and again.status == "proved" and len(built) == 2  # the key only


def test_a_verdict_reused_for_the_same_claim_elsewhere_keeps_its_diagnosis(tmp_path):
    from verify.model import Derivation, Source
    from verify.run.cache import VerdictCache
    from verify.run.runner import check_or_reuse

    t = var("td_t", POSITIVE)
    steps = [Step(id=f"same_{i}", claim=Equal(sp.log(t**2), 2 * sp.log(t))) for i in (1, 2)]
    first, second = (
        Derivation(id=f"td{i}", title="t", source=Source("doc.txt", "x"), steps=[s])
        for i, s in ((1, steps[0]), (2, steps[1]))
    )
    cache = VerdictCache(tmp_path, PROFILES["ci"])
    fresh, key, _ = check_or_reuse(first, steps[0], PROFILES["ci"], cache)
    assert fresh.status == "proved" and fresh.ledger  # t > 0 widened: the log of a negative number
    cache.store_step(key, fresh)
    reused, _, _ = check_or_reuse(second, steps[1], PROFILES["ci"], cache)
    assert reused.cached and reused.id == "same_2" and reused.ledger == fresh.ledger


@pytest.mark.parametrize("ledger", ["not a list", [["a", "b"]], [{"assumption": ["nested"]}]])
def test_a_cached_diagnosis_of_the_wrong_shape_is_not_trusted(tmp_path, ledger):
    from verify.model import Derivation, Source
    from verify.run.cache import VerdictCache
    from verify.run.runner import check_or_reuse

    t = var("te_t", POSITIVE)
    step = Step(id="shaped", claim=Equal(sp.log(t**2), 2 * sp.log(t)))
    derivation = Derivation(id="te", title="t", source=Source("doc.txt", "x"), steps=[step])
    cache = VerdictCache(tmp_path, PROFILES["ci"])
    fresh, key, _ = check_or_reuse(derivation, step, PROFILES["ci"], cache)
    cache.store_step(key, fresh)
    data = cache._read("claims", key)
    data["verdict"]["ledger"] = ledger
    payload = {k: v for k, v in data.items() if k not in ("format", "key")}
    cache._write("claims", key, payload)  # sealed with this machine's key: only its shape is wrong
    again, _, warnings = check_or_reuse(derivation, step, PROFILES["ci"], cache)
    assert not again.cached and again.ledger == fresh.ledger
    assert any("corrupt or stale" in w for w in warnings), warnings


def test_fingerprinting_the_engine_runs_none_of_the_packages_it_reads():
    # the engine's closure reaches the code checker (named by ``verify/__init__.py``); finding its
    # files must not import it (and with it the loss checker): they are read, not run
    code = (
        "import sys\n"
        "from verify.run import cache\n"
        "cache.engine_fingerprint()\n"
        "print(sorted(m for m in ('verify.code', 'verify.code.check', 'verify.losses') if m in sys.modules))\n"
        "print('verify.code.check' in cache._engine_files())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True"], out.stdout + out.stderr
