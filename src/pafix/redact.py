"""Redaction of secret values for every output channel."""

from __future__ import annotations


def redact(value: str) -> str:
    """Show at most the first two characters of a secret, then ``***``.

    Values of four characters or fewer show nothing at all, so a short secret cannot be
    read back from its prefix.
    """
    if len(value) <= 4:
        return "***"
    return value[:2] + "***"
