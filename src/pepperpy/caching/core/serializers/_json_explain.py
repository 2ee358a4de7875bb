"""Explaining why a value cannot be JSON: what it is and where it sits.

Only called once encoding has failed, so it can afford to be thorough: it walks the
value iteratively (values nested deeper than the recursion limit can be explained
too) and names a cycle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..errors import SerializationError
from ._describe import describe_type, short_repr

__all__ = ("encode_error",)

_LEAVES = (str, int, float, bool, type(None))


def _hint(obj: object) -> str:
    if type(obj) is tuple:
        return "JSON has no tuple type; convert it to a list"
    if isinstance(obj, set | frozenset):
        return "JSON has no set type; convert it to a list"
    if isinstance(obj, bytes | bytearray | memoryview):
        return "decode it to text first, or store it with BytesSerializer"
    if isinstance(obj, str | int | float | list | dict):
        return (
            "only the exact types str, int, float, bool, None, list and dict are "
            "encoded, so that loads returns what was stored; convert it "
            "(for an enum member, use .value)"
        )
    return "use PickleSerializer or a serializer of your own for such values"


def _problem(node: object, path: str) -> str | None:
    """What JSON cannot carry in ``node`` itself (not in its children), or None."""
    if type(node) is float:
        if math.isfinite(node):
            return None
        return f"the float {node!r} at {path}; JSON has no NaN or infinity"
    if type(node) in _LEAVES or type(node) is list:
        return None
    if type(node) is dict:
        for key in node:
            if type(key) is not str:
                return (
                    f"a dict key of type {describe_type(key)} ({short_repr(key)}) at {path}; "
                    "JSON object keys must be str"
                )
        return None
    return f"a value of type {describe_type(node)} at {path}; {_hint(node)}"


def _children(node: object, path: str) -> Iterator[tuple[object, str]]:
    if type(node) is list:
        for index, child in enumerate(node):
            yield child, f"{path}[{index}]"
    elif type(node) is dict:
        for key, child in node.items():
            yield child, f"{path}[{short_repr(key)}]"


def _find_problem(root: object) -> str | None:
    """Describe the first part of ``root`` that JSON cannot carry, with its path.

    Iterative, so that it can also explain values nested deeper than the recursion
    limit, and it tracks the containers on the current path to name a cycle.
    """
    problem = _problem(root, "$")
    if problem is not None or type(root) not in (list, dict):
        return problem
    on_path = {id(root)}
    stack = [(_children(root, "$"), id(root))]
    while stack:
        children, ident = stack[-1]
        step = next(children, None)
        if step is None:
            stack.pop()
            on_path.discard(ident)
            continue
        child, path = step
        problem = _problem(child, path)
        if problem is not None:
            return problem
        if type(child) is list or type(child) is dict:
            if id(child) in on_path:
                return f"a circular reference at {path}"
            on_path.add(id(child))
            stack.append((_children(child, path), id(child)))
    return None


def encode_error(obj: object, cause: BaseException | None) -> SerializationError:
    """The error ``JsonSerializer.dumps`` raises for ``obj``, after ``cause`` if any."""
    problem = _find_problem(obj)
    if problem is not None:
        return SerializationError(f"JsonSerializer cannot encode {problem}")
    if isinstance(cause, RecursionError):
        return SerializationError(
            f"JsonSerializer cannot encode a value of type {describe_type(obj)}: "
            "it is nested deeper than the interpreter's recursion limit"
        )
    return SerializationError(
        f"JsonSerializer cannot encode a value of type {describe_type(obj)}: {cause}"
    )
