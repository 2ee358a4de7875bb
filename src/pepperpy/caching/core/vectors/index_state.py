"""Checking a saved index before it is restored: shapes, dtypes, keys and metadata."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .snapshot import IndexState

__all__ = ("checked_payloads",)


def checked_payloads(state: IndexState, empty: Mapping[str, Any]) -> list[Any]:
    """The metadata of each slot of ``state`` as the index keeps it (read-only views,
    ``empty`` for none, ``None`` for a free slot), after checking that its arrays, keys
    and metadata describe one consistent set of slots; ValueError otherwise."""
    vectors = state.vectors
    slots = len(state.keys)
    if (
        vectors.shape != (slots, state.dim)
        or vectors.dtype.name != state.dtype
        or (state.dim_given is not None and state.dim_given != state.dim)
        or len(state.metadata) != slots
        or state.generations.shape != (slots,)
        or (state.inv_norms is None) != (state.metric != "cosine")
        or (state.inv_norms is not None and state.inv_norms.shape != (slots,))
    ):
        raise ValueError("arrays of inconsistent shapes")
    payloads: list[Any] = [
        None if meta is None else MappingProxyType(meta) if meta else empty
        for meta in state.metadata
    ]
    if any((key is None) != (meta is None) for key, meta in zip(state.keys, payloads, strict=True)):
        raise ValueError("metadata for a free slot, or none for a used one")
    keys = [key for key in state.keys if key is not None]
    if len(set(keys)) != len(keys):
        raise ValueError("a key stored twice")
    return payloads
