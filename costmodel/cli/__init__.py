"""The ``costmodel`` command line (a package: ``app`` builds it, one module per command family, ``common`` shared)."""

from costmodel.cli.app import app, main

__all__ = ["app", "main"]
