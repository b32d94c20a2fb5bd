"""``python -m pafix.lsp``: the language server over stdio (same as ``pafix lsp``)."""

from ..cli_lsp import lsp_cmd

lsp_cmd()
