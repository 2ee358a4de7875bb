"""The ``migrate`` command."""

from __future__ import annotations

import argparse
import sys

__all__ = ("add_arguments", "run")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""


def run(args: argparse.Namespace) -> int:
    """Not available yet in this version."""
    print("pepperpy-cache migrate: not available yet in this version", file=sys.stderr)
    return 2
