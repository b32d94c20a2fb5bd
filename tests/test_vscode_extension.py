"""The VS Code extension (editors/vscode/extension.js) with Node's test runner: the client it
builds (stubbed VS Code API) and the server command it starts (really started)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_extension_wires_the_client_and_starts_the_server() -> None:
    env = {**os.environ, "PAFIX_COMMAND": json.dumps([sys.executable, "-m", "pafix"]),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run(["node", "--test", str(ROOT / "editors" / "vscode" / "test")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "# pass 4" in done.stdout and "# fail 0" in done.stdout
