"""The pafix language server (``pafix lsp``): diagnostics, quick fixes, fix on save, hover.

Needs the ``lsp`` extra (``pip install 'pafix[lsp]'``: pygls 2.x and lsprotocol). The modules
``positions``, ``lint``, ``hover`` and ``settings`` need nothing but pafix itself.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """Serve LSP over stdin/stdout."""
    from pafix.lsp.server import start_io

    start_io()
