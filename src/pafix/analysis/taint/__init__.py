"""Taint analysis: where do secrets go? (moved here from ``pafix/analysis/taint.py``; split by
concern in the next commits)."""

from pafix.analysis.taint.transfer import *  # noqa: F401,F403
from pafix.analysis.taint.transfer import State as State, _join_taint as _join_taint, join as join, same as same
