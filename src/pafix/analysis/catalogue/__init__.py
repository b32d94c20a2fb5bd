"""The action catalogue (moved here from ``pafix/analysis/catalogue.py``; split by concern in
the next commit)."""

from pafix.analysis.catalogue.loader import *  # noqa: F401,F403
