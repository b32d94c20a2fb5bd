"""The code passes the static checks the project holds itself to: ``mypy --strict`` on the
package and Ruff's Pyflakes rules (unused imports and variables, redefinitions, undefined
names) on the package, the tests, the benchmarks and the scripts. Both are configured in
``pyproject.toml``; a failure prints the tool's own report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    run = _run("mypy", "--strict", "--cache-dir", str(tmp_path / "mypy"), "src/pafix")
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_finds_nothing() -> None:
    run = _run("ruff", "check", "--no-cache", "--output-format", "concise", "src", "tests", "bench", "scripts")
    assert run.returncode == 0, run.stdout + run.stderr
