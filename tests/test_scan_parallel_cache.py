"""``pafix scan --jobs N`` and the result cache (issue 8).

No test here measures time: the pool is forced on with a tiny threshold and the cache is
observed through :data:`pafix.cli.jobs.LAST` (what the last scan analysed, hit, wrote).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pafix.cli import jobs as scan_jobs
from pafix.cli import stat_index
from pafix.cli.main import main, scan_units
from pafix.config import DEFAULT
from pafix.cli.cache import ResultCache, default_cache_dir

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT.parent / "shared" / "corpus" / "solutions"
REAL = ROOT.parent / "shared" / "corpus" / "real"

CANARY = "CANARY-5511-SECRET"

LEAKY = """@SENSITIVE: [ApiSecret]
SET ApiSecret TO $'''{token}'''
SET Copy TO ApiSecret
Display.ShowMessageDialog.ShowMessage Title: $'''Info''' Message: Copy Icon: Display.Icon.None Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False ButtonPressed=> Pressed
"""

CANARY_FLOW = f"""SET Url TO $'''https://erp.contoso.com'''
Web.InvokeWebService.InvokeWebService Url: Url Method: Web.Method.Get Accept: $'''application/json''' ContentType: $'''application/json''' ConnectionTimeout: 30 FollowRedirection: True ClearCookies: False FailOnErrorStatus: False EncodeRequestBody: True UserAgent: $'''pafix''' Encoding: Web.Encoding.AutoDetect AcceptUntrustedCertificates: False UserName: $'''robot''' Password: $'''{CANARY}''' ResponseHeaders=> Headers Response=> Response StatusCode=> Status
Display.ShowMessageDialog.ShowMessage Title: $'''Result''' Message: Response Icon: Display.Icon.None Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False ButtonPressed=> Pressed
SET DbPassword TO $'''{CANARY}'''
Display.ShowMessageDialog.ShowMessage Title: $'''Db''' Message: DbPassword Icon: Display.Icon.None Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False ButtonPressed=> Pressed
"""


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2
        return CliRunner()


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A folder of flows: the examples, generated leaky flows, a parse error, a solution."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    for src in sorted((ROOT / "examples").iterdir()):
        if src.suffix in (".robin", ".txt"):
            shutil.copy(src, folder / src.name)
    for i in range(12):
        sub = folder / f"team{i % 3}"
        sub.mkdir(exist_ok=True)
        (sub / f"flow{i:02d}.robin").write_text(LEAKY.format(token=f"tok{i}x" * 3) * (1 + i % 4), encoding="utf-8")
    (folder / "broken.robin").write_text("IF x THEN\n  SET a TO 1\n", encoding="utf-8")
    if SOLUTIONS.is_dir():
        for z in sorted(SOLUTIONS.glob("*.zip"))[:1]:
            shutil.copy(z, folder / z.name)
    return folder


def _scan_json(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = _runner().invoke(main, ["scan", "--format", "json", *map(str, args)], env=env)
    assert result.exit_code in (0, 1, 2), result.output
    doc = json.loads(result.stdout)
    doc["stats"].pop("seconds")
    return result.exit_code, doc


# ---- --jobs ---------------------------------------------------------------------------------------


def test_jobs_1_and_2_give_the_same_json(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", 0)  # a pool even for a small folder
    monkeypatch.setattr(scan_jobs, "CHUNK_SIZE", 5)  # and many chunks
    code1, one = _scan_json("--no-cache", "--jobs", "1", fleet)
    assert scan_jobs.LAST.workers == 0
    code2, two = _scan_json("--no-cache", "--jobs", "2", fleet)
    assert scan_jobs.LAST.workers == 2 and scan_jobs.LAST.chunks > 2
    assert (code1, one) == (code2, two)
    assert code1 == 2 and one["errors"] and one["findings"]  # the broken flow, the leaks


def test_results_keep_the_units_order_whatever_the_jobs(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", 0)
    monkeypatch.setattr(scan_jobs, "CHUNK_SIZE", 1)
    serial = scan_units((str(fleet),), DEFAULT, jobs=1)
    parallel = scan_units((str(fleet),), DEFAULT, jobs=2)
    assert [(r.path, r.flow) for r in serial] == [(r.path, r.flow) for r in parallel]
    assert serial == parallel
    assert [r.suppressed for r in serial] == [r.suppressed for r in parallel]


def test_a_solution_is_one_task(fleet: Path) -> None:
    if not any(fleet.glob("*.zip")):
        pytest.skip("no solution export in ../shared/corpus/solutions")
    scan_units((str(fleet),), DEFAULT, jobs=1)
    counters = scan_jobs.LAST
    assert counters.units > counters.tasks  # the solution's flows went together


@pytest.mark.corpus
def test_real_corpus_serial_equals_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    if not REAL.is_dir():
        pytest.skip("../shared/corpus/real is absent")
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", 0)
    assert scan_units((str(REAL),), DEFAULT, jobs=1) == scan_units((str(REAL),), DEFAULT, jobs=2)


# ---- the cache --------------------------------------------------------------------------------------


def test_second_scan_is_answered_from_the_cache(fleet: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache_dir))
    assert scan_jobs.LAST.analysed_units == scan_jobs.LAST.units > 0
    assert scan_jobs.LAST.cache_hits == 0 and scan_jobs.LAST.cache_writes > 0
    second = scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache_dir))
    assert scan_jobs.LAST.analysed_units == 0
    assert second == first
    assert [r.suppressed for r in second] == [r.suppressed for r in first]


def test_cached_results_keep_every_field(fleet: Path, tmp_path: Path) -> None:
    fresh = scan_units((str(fleet),), DEFAULT)
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    cached = scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    assert scan_jobs.LAST.analysed_units == 0
    for a, b in zip(fresh, cached):
        assert a == b and a.suppressed == b.suppressed
        assert [f.fix for f in a.findings] == [f.fix for f in b.findings]
        assert [f.trace for f in a.findings] == [f.trace for f in b.findings]


def test_a_moved_folder_keeps_its_entries(fleet: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache))
    moved = tmp_path / "moved"
    shutil.copytree(fleet, moved)
    results = scan_units((str(moved),), DEFAULT, cache=ResultCache(cache))
    assert scan_jobs.LAST.analysed_units == 0
    assert all(str(moved) in r.path for r in results)


def test_a_changed_file_or_config_misses(fleet: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache))
    flow = fleet / "team0" / "flow00.robin"
    flow.write_text(flow.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache))
    assert scan_jobs.LAST.analysed_units == 1
    other = DEFAULT.with_overrides(None, ["PAF104"])
    scan_units((str(fleet),), other, cache=ResultCache(cache))
    assert scan_jobs.LAST.analysed_units == scan_jobs.LAST.units
    scan_units((str(fleet),), other, cache=ResultCache(cache))
    assert scan_jobs.LAST.analysed_units == 0


def test_cli_cache_dir_and_no_cache(fleet: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cli-cache"
    _scan_json("--cache-dir", cache, "--jobs", "1", fleet)
    assert scan_jobs.LAST.cache_writes > 0 and any(cache.rglob("*.json"))
    _, warm = _scan_json("--cache-dir", cache, "--jobs", "1", fleet)
    assert scan_jobs.LAST.analysed_units == 0
    _, cold = _scan_json("--no-cache", "--jobs", "1", fleet)
    assert warm == cold


def test_no_cache_never_writes(fleet: Path, tmp_path: Path) -> None:
    cache = tmp_path / "never"
    _scan_json("--no-cache", fleet, env={"PAFIX_CACHE_DIR": str(cache)})
    assert not cache.exists()
    assert scan_jobs.LAST.cache_writes == 0 and scan_jobs.LAST.analysed_units == scan_jobs.LAST.units


def test_cache_dir_from_the_environment(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAFIX_CACHE_DIR", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache"
    _scan_json("--jobs", "1", fleet)
    assert any((tmp_path / "env-cache").rglob("*.json"))
    monkeypatch.delenv("PAFIX_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "pafix"


def test_a_corrupt_entry_is_ignored_and_rewritten(fleet: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache))
    entries = sorted(p for p in cache.rglob("*.json"))
    entries[0].write_bytes(b"{not json")
    entries[1].write_text(json.dumps({"format": 1, "key": "another", "results": []}), encoding="utf-8")
    entries[2].write_bytes(b"")
    store = ResultCache(cache)
    again = scan_units((str(fleet),), DEFAULT, cache=store)
    assert again == first
    assert store.corrupt == 3 and scan_jobs.LAST.analysed_tasks == 3 and scan_jobs.LAST.cache_writes == 3
    for entry in entries[:3]:
        json.loads(entry.read_bytes())  # rewritten whole
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(cache))
    assert scan_jobs.LAST.analysed_units == 0
    assert not list(cache.rglob(".tmp-*"))  # atomic writes leave no temporary file


def test_the_cache_never_holds_a_secret(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "canary.robin").write_text(CANARY_FLOW, encoding="utf-8")
    (folder / "canary-crlf.txt").write_bytes(CANARY_FLOW.replace("\n", "\r\n").encode("utf-8"))
    cache = tmp_path / "cache"
    code, doc = _scan_json("--cache-dir", cache, "--jobs", "1", folder)
    assert code == 1 and doc["findings"]
    _scan_json("--cache-dir", cache, "--jobs", "1", folder)  # and once more from the cache
    assert scan_jobs.LAST.analysed_units == 0
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert CANARY.encode() not in data, path


def test_an_unwritable_cache_does_not_fail_the_scan(fleet: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x", encoding="utf-8")
    store = ResultCache(blocker / "cache")
    results = scan_units((str(fleet),), DEFAULT, cache=store)
    assert results == scan_units((str(fleet),), DEFAULT)
    assert store.writes == 0 and store.write_errors > 0


DLP_POLICY = ROOT / "fixtures" / "dlp" / "admin-api-v2-policy.json"


def test_dlp_policies_reach_the_workers_and_the_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not DLP_POLICY.is_file() or not REAL.is_dir():
        pytest.skip("needs fixtures/dlp and ../shared/corpus/real")
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", 0)
    policy = ["--dlp-policy", str(DLP_POLICY)]
    _, serial = _scan_json("--no-cache", "--jobs", "1", *policy, REAL)
    _, parallel = _scan_json("--no-cache", "--jobs", "2", *policy, REAL)
    assert scan_jobs.LAST.workers == 2
    assert serial == parallel and any(f["rule"].startswith("PAF3") for f in serial["findings"])
    cache = tmp_path / "cache"
    _scan_json("--cache-dir", cache, "--jobs", "1", *policy, REAL)
    _, cached = _scan_json("--cache-dir", cache, "--jobs", "1", *policy, REAL)
    assert scan_jobs.LAST.analysed_units == 0 and cached == serial
    _, plain = _scan_json("--cache-dir", cache, "--jobs", "1", REAL)  # no policy: other keys
    assert scan_jobs.LAST.cache_hits == 0
    assert not any(f["rule"].startswith("PAF3") for f in plain["findings"])


# ---- the stat index: unchanged loose files are not read again ------------------------------------


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The loose files the scan reads to find their cache key."""
    seen: list[str] = []
    real = scan_jobs.read_flow_bytes

    def counting(path: Any, **kw: Any) -> bytes:
        seen.append(str(path))
        return real(path, **kw)

    monkeypatch.setattr(scan_jobs, "read_flow_bytes", counting)
    return seen


def test_a_warm_scan_reads_no_unchanged_file(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stat_index, "RACY_NS", 0)  # the fixture's files were written just now
    reads = _count_reads(monkeypatch)
    first = scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    assert reads  # the cold scan hashes every loose file's bytes
    reads.clear()
    second = scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    assert reads == [] and scan_jobs.LAST.analysed_units == 0
    assert second == first


def test_a_same_size_rewrite_with_its_old_mtime_is_seen(fleet: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stat_index, "RACY_NS", 0)
    flow = fleet / "team0" / "flow00.robin"
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    before = flow.stat()
    text = flow.read_text(encoding="utf-8")
    # the same length, no more leak: the message shows a harmless variable
    changed = text.replace("Message: Copy ", "Message: Pres ")
    assert len(changed) == len(text) and changed != text
    flow.write_text(changed, encoding="utf-8")
    os.utime(flow, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime put back; ctime moves
    assert flow.stat().st_mtime_ns == before.st_mtime_ns and flow.stat().st_size == before.st_size
    results = scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    assert scan_jobs.LAST.analysed_units == 1
    assert results == scan_units((str(fleet),), DEFAULT)  # what a scan without a cache says
    (mine,) = [r for r in results if r.path == str(flow)]
    assert "Copy" not in {f.variable for f in mine.findings if "message" in f.message.lower()}


def test_entries_younger_than_the_racy_window_are_not_trusted() -> None:
    read = 100 * 10**9
    old, recent = read - stat_index.RACY_NS - 1, read - 10**9
    assert stat_index.trusted((10, old, old, 1, 1), read)
    assert not stat_index.trusted((10, recent, old, 1, 1), read)  # written just before the read
    assert not stat_index.trusted((10, old, recent, 1, 1), read)  # changed (chmod, rename...) just before


def test_an_unreadable_stat_index_is_rebuilt(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stat_index, "RACY_NS", 0)
    scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    (index,) = (tmp_path / "c").rglob("stat-*.json")
    index.write_text("{not json", encoding="utf-8")
    reads = _count_reads(monkeypatch)
    first = scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c"))
    assert reads and scan_jobs.LAST.analysed_units == 0  # read and hashed again, entries still hit
    reads.clear()
    assert scan_units((str(fleet),), DEFAULT, cache=ResultCache(tmp_path / "c")) == first
    assert reads == []


def test_a_file_gone_before_a_worker_reads_it_is_reported_not_fatal(fleet: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a cache a loose file is read by the process that checks it (a worker, in a
    pool), after the walk listed it: one deleted in between is that file's read error, with
    the path as listed (relative here), and every other file is checked, whatever ``jobs``."""
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", 0)
    monkeypatch.setattr(scan_jobs, "CHUNK_SIZE", 1)
    monkeypatch.chdir(fleet.parent)
    gone = Path("fleet") / "team1" / "flow01.robin"
    answers = []
    for jobs in (1, 2):
        tasks = list(scan_jobs.tasks_of_paths(["fleet"]))
        saved = gone.read_bytes()
        gone.unlink()
        try:
            answers.append(scan_jobs.run_scan(tasks, DEFAULT, jobs=jobs))
        finally:
            gone.write_bytes(saved)
        assert scan_jobs.LAST.workers == (0 if jobs == 1 else 2)
    serial, parallel = answers
    assert serial == parallel
    by_path = {r.path: r for r in parallel}
    assert ["cannot read" in e.message for e in by_path[str(gone)].errors] == [True]
    assert all(r.findings and not r.errors for p, r in by_path.items() if "/flow" in p and p != str(gone))
