"""Output formats for ``pafix scan``: text, JSON (versioned contract), SARIF 2.1.0, GitHub.

Every renderer is a pure function of the shared result values in :mod:`pafix.findings`;
it prints only fields of those values (never ``repr()`` of an object, never fix edit text)
and never redacts or un-redacts anything itself: finding and trace messages name variables,
not values, by contract of the core.

Every renderer returns the complete output, ending with a newline (the GitHub format
returns ``""`` when there is nothing to report), so callers write it with ``nl=False``.
"""

from __future__ import annotations

from pafix.report.github import render_github
from pafix.report.json_format import render_json
from pafix.report.results import ScanStats, display_path, flow_display
from pafix.report.sarif import render_sarif
from pafix.report.text import render_text

__all__ = [
    "ScanStats",
    "display_path",
    "flow_display",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]
