"""``python -m pafix``."""

from pafix.cli.main import main

main()
