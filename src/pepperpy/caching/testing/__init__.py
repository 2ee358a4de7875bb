"""Helpers for users' own test suites: hypothesis strategies and reference models."""

from __future__ import annotations

__all__: tuple[str, ...] = ()
