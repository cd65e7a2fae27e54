"""``python -m costmodel`` runs the command-line interface."""

from costmodel.cli import main

main()
