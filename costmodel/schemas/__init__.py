"""JSON Schemas (draft 2020-12) of every command's ``--json`` document, shipped with the package.

``load_schema("index")`` returns the schema of ``costmodel index --json`` (``prices import`` is ``prices_import``).
The documents themselves are built in ``costmodel.cli.payloads``.
"""

from __future__ import annotations

import json
from importlib import resources


def schema_names() -> tuple[str, ...]:
    """The commands that have a schema."""
    return tuple(sorted(p.name.removesuffix(".schema.json") for p in resources.files(__name__).iterdir()
                        if p.name.endswith(".schema.json")))


def load_schema(command: str) -> dict:
    """The JSON Schema of ``command``'s ``--json`` document."""
    name = command.replace(" ", "_")
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))
