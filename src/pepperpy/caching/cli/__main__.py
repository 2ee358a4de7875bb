"""Dispatch ``python -m pepperpy.caching <command>`` to one module per command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(f"pepperpy.caching.cli.{name}")
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
