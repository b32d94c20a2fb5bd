"""Shared pytest configuration."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # pafix's cache folder (scan results, the parser's tables, the parsed data files) is a
    # folder of this run, never the user's ~/.cache: the commands the tests run inherit it
    if not os.environ.get("PAFIX_CACHE_DIR"):
        os.environ["PAFIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="pafix-test-cache-")
    # slow tests still run by default; deselect them with -m "not slow" for a quick local loop
    config.addinivalue_line("markers", "slow: a test that takes seconds (huge or many files); runs by default")
