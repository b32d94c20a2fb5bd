"""Stage 4, fixes: span edits and the rewrite loop.

Fixes are data (:class:`pafix.findings.Fix`: span edits plus a safety level). Builders make them
(:mod:`.mark_sensitive`, :mod:`.get_credential`); :mod:`.edits` applies and verifies them;
:mod:`.rewrite` runs the check-fix-recheck loop; :mod:`.safewrite` writes atomically and
:mod:`.audit` logs what was rewritten.
"""
