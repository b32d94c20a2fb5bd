"""Output formats for ``pafix scan``: text, JSON (versioned contract), SARIF 2.1.0, GitHub.

Every renderer is a pure function of the shared result values in :mod:`pafix.findings`;
it prints only fields of those values (never ``repr()`` of an object, never fix edit text)
and never redacts or un-redacts anything itself: finding and trace messages name variables,
not values, by contract of the core.

Every renderer returns the complete output, ending with a newline (the GitHub format
returns ``""`` when there is nothing to report), so callers write it with ``nl=False``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pafix.lazy import lazy_names

if TYPE_CHECKING:
    from pafix.report.github import render_github
    from pafix.report.json_format import render_json
    from pafix.report.results import ScanStats, display_path, flow_display
    from pafix.report.sarif import render_sarif
    from pafix.report.text import render_text

#: where each public name lives; loaded on first use (PEP 562), so that a scan imports the
#: format it renders only (SARIF's module and the baseline it reads were a fifth of the
#: report package's import, paid by every text or JSON scan)
_PUBLIC = {
    "ScanStats": "results",
    "display_path": "results",
    "flow_display": "results",
    "render_github": "github",
    "render_json": "json_format",
    "render_sarif": "sarif",
    "render_text": "text",
}

__all__ = [
    "ScanStats",
    "display_path",
    "flow_display",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]


__getattr__ = lazy_names(__name__, _PUBLIC)
