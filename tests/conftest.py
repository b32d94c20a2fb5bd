"""Shared pytest configuration."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # slow tests still run by default; deselect them with -m "not slow" for a quick local loop
    config.addinivalue_line("markers", "slow: a test that takes seconds (huge or many files); runs by default")
