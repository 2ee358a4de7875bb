"""Checking a saved HNSW graph before hnswlib sees it.

hnswlib rebuilds a graph from its state (:meth:`Graph.state`) without any check: a
link to an element that does not exist, or an entry point out of range, crashes the
process at the next search. A file's checksum catches accidental damage; these checks
make sure that a state that passes it (a file written by another program, or edited)
is still a graph whose every link, level and label is in range and which holds exactly
the live vectors of the index it comes with.

The layout is hnswlib's (``hnswalg.h``): per element, a level-0 block of a link
header (``uint32``: link count in the low 16 bits, a "removed" mark in bit 16), ``2M``
link ids (``uint32``), the vector (``dim`` float32) and the label (``uint64``); per
element above level 0, ``level`` blocks of a header and ``M`` link ids.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ("GRAPH_ARRAYS", "GRAPH_SCALARS", "check_state")

GRAPH_SCALARS: Final = (
    "ser_version",
    "space",
    "dim",
    "index_inited",
    "ep_added",
    "normalize",
    "num_threads",
    "seed",
    "offset_level0",
    "max_elements",
    "cur_element_count",
    "size_data_per_element",
    "label_offset",
    "offset_data",
    "max_level",
    "enterpoint_node",
    "max_M",
    "max_M0",
    "M",
    "mult",
    "ef_construction",
    "ef",
    "has_deletions",
    "size_links_per_element",
    "allow_replace_deleted",
    "deleted",
)
"""The plain values of a graph state (what goes into a file's JSON header)."""

GRAPH_ARRAYS: Final[dict[str, np.dtype[Any]]] = {
    "label_lookup_external": np.dtype(np.uint64),
    "label_lookup_internal": np.dtype(np.uint32),
    "element_levels": np.dtype(np.int32),
    "data_level0": np.dtype(np.int8),
    "link_lists": np.dtype(np.int8),
}
"""The arrays of a graph state and their dtypes."""

_COUNT_MASK: Final = 0xFFFF
_REMOVED_BIT: Final = 1 << 16
_MAX_LEVEL: Final = 64


def _need(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(f"the saved graph is inconsistent: {problem}")


def _check_links(
    blocks: npt.NDArray[np.uint32], limit: int, count: int, what: str
) -> npt.NDArray[np.uint32]:
    """Check link blocks (rows: header, then ``limit`` ids); the headers."""
    headers = blocks[:, 0]
    counts = headers & _COUNT_MASK
    _need(bool((counts <= limit).all()), f"a {what} link list is longer than {limit}")
    used = np.arange(limit)[None, :] < counts[:, None]
    _need(bool((blocks[:, 1:][used] < count).all()), f"a {what} link points past the graph")
    return headers


def _array(state: dict[str, Any], name: str) -> npt.NDArray[Any]:
    array = state.get(name)
    _need(
        isinstance(array, np.ndarray) and array.dtype == GRAPH_ARRAYS[name] and array.ndim == 1,
        f"{name} is not a flat array of {GRAPH_ARRAYS[name]}",
    )
    assert isinstance(array, np.ndarray)
    return array


def check_state(
    state: dict[str, Any],
    *,
    space: str,
    dim: int,
    M: int,
    live_labels: npt.NDArray[np.uint64],
) -> None:
    """Raise ValueError unless ``state`` is a well-formed hnswlib graph of ``dim``
    float32 vectors in ``space`` with ``M`` links, whose unmarked elements carry
    exactly ``live_labels`` (each once)."""
    _need(state.get("ser_version") == 1, "unknown hnswlib state version")
    _need(state.get("space") == space and state.get("dim") == dim, "another space or dimension")
    _need(state.get("M") == M and state.get("max_M") == M, "another M")
    _need(state.get("max_M0") == 2 * M, "another level-0 link count")
    for name in GRAPH_SCALARS:
        value = state.get(name)
        if name not in ("space", "mult", "normalize"):
            _need(type(value) in (int, bool), f"{name} is not an integer")
    _need(state["normalize"] is False and state["index_inited"] is True, "unexpected flags")
    count, capacity = state["cur_element_count"], state["max_elements"]
    _need(0 < count <= capacity, "element count out of range")
    links0 = 4 + 8 * M
    links = 4 + 4 * M
    per_element = links0 + 4 * dim + 8
    _need(
        state["offset_level0"] == 0
        and state["offset_data"] == links0
        and state["label_offset"] == links0 + 4 * dim
        and state["size_data_per_element"] == per_element
        and state["size_links_per_element"] == links,
        "unexpected element layout",
    )
    arrays = {name: _array(state, name) for name in GRAPH_ARRAYS}
    levels = arrays["element_levels"]
    _need(len(levels) == capacity, "element levels of another size")
    levels = levels[:count]
    _need(bool((levels >= 0).all() and (levels <= _MAX_LEVEL).all()), "a level out of range")
    entry, top = state["enterpoint_node"], state["max_level"]
    _need(0 <= entry < count and levels[entry] == top, "the entry point is out of range")
    _need(int(levels.max()) <= top, "an element above the top level")
    level0 = arrays["data_level0"]
    _need(len(level0) == count * per_element, "level-0 data of another size")
    blocks = level0.view(np.uint8).reshape(count, per_element)
    heads = _check_links(
        np.ascontiguousarray(blocks[:, :links0]).view(np.uint32), 2 * M, count, "level-0"
    )
    upper = arrays["link_lists"]
    _need(len(upper) == int(levels.sum()) * links, "upper-level links of another size")
    if len(upper):
        _check_links(upper.view(np.uint32).reshape(-1, 1 + M), M, count, "upper-level")
    labels = np.ascontiguousarray(blocks[:, links0 + 4 * dim :]).view(np.uint64).ravel()
    removed = (heads & _REMOVED_BIT) != 0
    _need(int(removed.sum()) == state["deleted"], "another count of removed elements")
    _need(len(np.unique(labels)) == count, "a label used twice")
    external, internal = arrays["label_lookup_external"], arrays["label_lookup_internal"]
    _need(len(external) == count and len(internal) == count, "label lookups of another size")
    _need(bool((internal < count).all()), "a label lookup out of range")
    _need(bool((labels[internal] == external).all()), "label lookups disagree with the elements")
    kept = np.sort(labels[~removed])
    _need(
        len(kept) == len(live_labels) and bool((kept == np.sort(live_labels)).all()),
        "its elements are not the stored vectors",
    )
