"""The ``costmodel`` command line: the app, its command families, and the console-script entry point.

Results go to stdout (tables, or JSON with ``--json``); diagnostics go to stderr.
Exit codes: 0 success, 2 bad input (with a message naming what is wrong), 1 unexpected error.
Each family is a module with a ``register(app)``: ``run`` (run, breakdown, template, validate), ``analysis`` (whatif,
sensitivity, montecarlo, breakeven, diff), ``optimize``, ``history`` (index, prices import), ``supply``. Shared
options, error handling and output live in ``common``. Heavy modules are imported inside the commands so that
``costmodel --help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

import costmodel.cli.analysis as analysis
import costmodel.cli.history as history
import costmodel.cli.optimize as optimize
import costmodel.cli.run as run
import costmodel.cli.supply as supply
from costmodel.cli.common import EXIT_BAD_INPUT, App

app = App(
    name="costmodel",
    help="Bottom-up cost of sodium-ion (NFPP, O3, Prussian white) and LFP reference cells: what each cell costs, and why.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for family in (run, analysis, optimize, history, supply):
    family.register(app)


def main() -> None:
    """Console-script entry point: runs the app and turns input errors into exit code 2."""
    from costmodel.units import UnitError
    from costmodel.validation import InputError

    try:
        app()
    except InputError as exc:
        typer.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except UnitError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
