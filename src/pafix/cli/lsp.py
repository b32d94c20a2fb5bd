"""``pafix lsp``: start the language server over stdio."""

from __future__ import annotations

import logging
import sys
import traceback

import click


class _NoExceptionText(logging.Filter):
    """Log where an exception happened, not its text: pygls logs failed messages with their
    exception, whose text may quote what the editor sent (a document holding secrets)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__})\n" + "".join(traceback.format_tb(exc.__traceback__))
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default and only transport).")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write the server's log here instead of stderr.")
@click.option("-v", "--verbose", count=True, help="Log more (-v: info; -vv: debug, with pygls' protocol log, which holds document text).")
def lsp_cmd(stdio: bool, log_file: str | None, verbose: int) -> None:
    """Run the pafix language server (diagnostics, quick fixes, fix on save, hover) over stdio.

    Editors start it as `pafix lsp`; see docs/editors.md. Needs `pip install 'pafix[lsp]'`.
    """
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        click.echo("pafix: error: the language server needs pygls and lsprotocol: pip install 'pafix[lsp]'", err=True)
        sys.exit(2)
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_NoExceptionText())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    if verbose < 2:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    from pafix.lsp.server import start_io

    start_io()


__all__ = ["lsp_cmd"]
