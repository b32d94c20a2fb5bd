"""``python -m pafix.lsp``: the language server over stdio (same as ``pafix lsp``)."""

from pafix.cli.lsp import lsp_cmd

lsp_cmd()
