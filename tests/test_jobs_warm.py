"""``scan --jobs N``: the process that starts the pool analyses the first tasks itself first
(``jobs.WARM_SIZE`` of text), so that the parser's scanners they compile (each compiled the
first time a parse needs it, see ``pafix.syntax.scanners``) are compiled once, before the
fork, and inherited by every worker instead of compiled again in each (issue 16, round 8).

Nothing here measures time: the scanners each process compiles are recorded. A fresh
interpreter runs the scan, since this one may have compiled every scanner in earlier tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pafix.cli import jobs as scan_jobs
from pafix.config import DEFAULT

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "smtp-report.robin"

#: a scan in a pool of two, each ScannerGroup._compile recorded with the id of its process
SCRIPT = r"""
import os, sys
from pafix.cli import jobs
from pafix.config import DEFAULT
from pafix.syntax import scanners

real = scanners.ScannerGroup._compile

def recording(self, alternation, flags):
    with open(sys.argv[2], "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()}\n")
    return real(self, alternation, flags)

scanners.ScannerGroup._compile = recording
jobs.MIN_PARALLEL_SIZE = 0  # a pool for a small folder
jobs.CHUNK_SIZE = 1  # one flow a chunk
results = jobs.run_scan(jobs.tasks_of_paths([sys.argv[1]]), DEFAULT, jobs=2)
counters = jobs.LAST
print(os.getpid(), counters.workers, counters.warm_tasks, counters.chunks, len(results))
"""


def _copies(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        shutil.copy(EXAMPLE, folder / f"copy{i:02d}.robin")
    return folder


def test_workers_inherit_the_scanners_the_first_flow_compiled(tmp_path: Path) -> None:
    """Six copies of one flow: the first is analysed before the fork, and the workers, which
    parse the same text, compile no scanner of their own."""
    fleet = _copies(tmp_path / "fleet", 6)
    record = tmp_path / "compiled.txt"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(fleet), str(record)], capture_output=True,
                          text=True, check=True, env=env, cwd=tmp_path)
    parent, workers, warm, chunks, units = map(int, done.stdout.split())
    assert (workers, warm, units) == (2, 1, 6)
    assert chunks == 5  # the other five flows went to the workers
    compiled_by = record.read_text(encoding="utf-8").split()
    assert compiled_by and set(compiled_by) == {str(parent)}


def test_the_warm_up_is_part_of_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flows analysed before the fork are reported in their place, as one process reports
    them; a scan in one process warms nothing up, and ``WARM_SIZE`` 0 leaves every flow to the
    workers."""
    fleet = _copies(tmp_path / "fleet", 4)
    (fleet / "copy01.robin").write_text("SET Password TO $'''hunter2-not-a-var'''\n", encoding="utf-8")
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", 0)
    monkeypatch.setattr(scan_jobs, "CHUNK_SIZE", 1)
    serial = scan_jobs.run_scan(scan_jobs.tasks_of_paths([str(fleet)]), DEFAULT, jobs=1)
    assert scan_jobs.LAST.warm_tasks == 0
    pooled = scan_jobs.run_scan(scan_jobs.tasks_of_paths([str(fleet)]), DEFAULT, jobs=2)
    assert (scan_jobs.LAST.workers, scan_jobs.LAST.warm_tasks, scan_jobs.LAST.chunks) == (2, 1, 3)
    assert pooled == serial and [r.path for r in pooled] == [r.path for r in serial]
    monkeypatch.setattr(scan_jobs, "WARM_SIZE", 0)
    cold = scan_jobs.run_scan(scan_jobs.tasks_of_paths([str(fleet)]), DEFAULT, jobs=2)
    assert (scan_jobs.LAST.warm_tasks, scan_jobs.LAST.chunks) == (0, 4)
    assert cold == serial


def test_a_big_first_flow_is_left_to_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up takes the tasks that fit in ``WARM_SIZE``, in order, and leaves a bigger
    one to the workers (analysed here, it would hold the other CPUs idle)."""
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    small = EXAMPLE.read_text(encoding="utf-8")
    (fleet / "a_big.robin").write_text(small * 5, encoding="utf-8")
    (fleet / "b_small.robin").write_text(small, encoding="utf-8")
    (fleet / "c_small.robin").write_text(small, encoding="utf-8")
    total = sum(p.stat().st_size for p in fleet.iterdir())
    monkeypatch.setattr(scan_jobs, "MIN_PARALLEL_SIZE", total)  # the pool starts with all three buffered
    monkeypatch.setattr(scan_jobs, "WARM_SIZE", (fleet / "b_small.robin").stat().st_size)
    here: list[str] = []
    real = scan_jobs._check_here

    def recording(units: list[Any], config: Any) -> Any:
        here.extend(u.path for u in units)
        return real(units, config)

    monkeypatch.setattr(scan_jobs, "_check_here", recording)
    pooled = scan_jobs.run_scan(scan_jobs.tasks_of_paths([str(fleet)]), DEFAULT, jobs=2)
    assert (scan_jobs.LAST.workers, scan_jobs.LAST.warm_tasks) == (2, 1)
    assert [Path(p).name for p in here] == ["b_small.robin"]
    assert [Path(r.path).name for r in pooled] == ["a_big.robin", "b_small.robin", "c_small.robin"]
    assert pooled == scan_jobs.run_scan(scan_jobs.tasks_of_paths([str(fleet)]), DEFAULT, jobs=1)
