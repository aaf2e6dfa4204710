"""The ``lambda-adapter`` command line (also ``python -m lambda_adapter``): one table of subcommands.

Invariants:
- A tool module, at the top of the import graph: nothing in the library imports it.
- Each subcommand lives in its own module, imported only when it runs, with two functions:
  ``add_arguments(parser)`` and ``run(args) -> int`` (the exit status).
- A user's mistake (a wrong ``MODULE:HANDLER``, a bad file, a port in use) is a ``UsageError``:
  one clear line on stderr and exit status 2, never a traceback. A reader that goes away (``| head``)
  ends the command quietly with status 1, as Python's documentation recommends.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from .._load import UsageError

# name -> (module, one-line help); the module provides add_arguments(parser) and run(args)
COMMANDS: dict[str, tuple[str, str]] = {}
COMMANDS["serve"] = ("lambda_adapter._cli.serve", "Serve a handler over HTTP as an event source would call it.")
COMMANDS["invoke"] = ("lambda_adapter._cli.invoke", "Call a handler once with an event file; print the result.")
COMMANDS["event"] = ("lambda_adapter._cli.event", "Print the event a source sends for one request.")
COMMANDS["coldstart"] = (
    "lambda_adapter._cli.coldstart",
    "Where a handler's cold start goes, measured in fresh interpreters.",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the subcommand, return its exit status."""
    parser = argparse.ArgumentParser(prog="lambda-adapter", description="Run and measure Lambda handlers locally.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules: dict[str, Any] = {}
    chosen = _chosen(argv)
    for name, (module_name, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == chosen:  # only the subcommand that runs is imported
            modules[name] = importlib.import_module(module_name)
            modules[name].add_arguments(sub)
    args = parser.parse_args(argv)
    try:
        status: int = modules[args.command].run(args)
        sys.stdout.flush()  # here, where a reader gone away is caught, rather than at exit
    except UsageError as exc:
        print(f"lambda-adapter {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader is gone (`| head`): what is left unwritten goes nowhere, at exit too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


def _chosen(argv: Sequence[str] | None) -> str | None:
    words = list(sys.argv[1:] if argv is None else argv)
    return next((word for word in words if word in COMMANDS), None)
