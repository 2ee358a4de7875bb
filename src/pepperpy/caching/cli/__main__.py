"""Dispatch ``python -m pepperpy.caching <command>`` to one module per command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ._pipes import is_broken_pipe

__all__ = ("main",)

COMMANDS: dict[str, str] = {
    "demo": "run the library's examples live, on asyncio and on trio",
    "simulate": "replay a trace against eviction policies and cache sizes",
    "migrate": "copy keys between Redis URLs or namespaces, TTLs kept",
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each command module adds its own arguments."""
    parser = argparse.ArgumentParser(
        prog="pepperpy-cache",
        description="pepperpy.caching: one async cache API over memory, Redis and vectors.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(f"pepperpy.caching.cli.{name}")
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status.

    When the reader of the output goes away (``pepperpy-cache demo | head``), the
    command stops quietly with status 1 instead of printing a traceback.
    """
    try:
        args = build_parser().parse_args(argv)
        status: int = args.run(args)
        sys.stdout.flush()  # a closed reader shows here, not at interpreter exit
    except Exception as exc:
        if not is_broken_pipe(exc):
            raise
        _silence_stdout()
        return 1
    return status


def _silence_stdout() -> None:
    # What is still buffered for the closed pipe would fail again when Python flushes
    # stdout at exit: point stdout at the null device instead (as the Python docs on
    # SIGPIPE advise).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
