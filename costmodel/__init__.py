"""costmodel: bottom-up cost and supply-chain scenarios for sodium-ion battery cells.

Public API (imported lazily so that the command line starts fast):
    Model          evaluate designs on a dataset (``Model().evaluate(2025)``)
    load_default   the bundled, sourced default dataset
    Dataset        validated input tables
    Results        tidy result tables
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Dataset", "Model", "Results", "__version__", "load_default"]

_LAZY = {
    "Model": "costmodel.model",
    "Dataset": "costmodel.dataset",
    "load_default": "costmodel.dataset",
    "Results": "costmodel.results",
}

if TYPE_CHECKING:
    from costmodel.dataset import Dataset, load_default
    from costmodel.model import Model
    from costmodel.results import Results


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'costmodel' has no attribute {name!r}")
