"""``python -m pafix``."""

from .cli import main

main()
