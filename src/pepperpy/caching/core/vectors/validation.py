"""Turning what callers pass as vectors into checked arrays, or a clear error.

Every check runs before anything is stored, on the values as they will be stored, so a
refused vector (or batch) changes nothing.

Storage dtype: a vector index keeps vectors as float32 or float64. Unless configured,
the first vector decides: float16 and float32 arrays are kept as float32, anything else
(float64, integers, lists of Python numbers) as float64. Later vectors are converted to
that dtype, so a float64 vector written to a float32 index comes back rounded to
float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple, final

import numpy as np
import numpy.typing as npt

from ..errors import ConfigurationError, InvalidVectorError
from .metrics import MetricName

__all__ = (
    "MAX_SQUARED_NORM",
    "Prepared",
    "check_dim",
    "check_dtype",
    "prepare_batch",
    "prepare_vector",
)

MAX_SQUARED_NORM: Final = float(np.finfo(np.float32).max) / 4.0
"""Largest squared norm accepted: inner products and squared distances between any
two accepted vectors stay finite in float32, where hnswlib computes them."""

_FLOAT32: Final = np.dtype(np.float32)
_FLOAT64: Final = np.dtype(np.float64)
_NUMERIC_KINDS: Final = frozenset("iuf")


@final
class Prepared(NamedTuple):
    """Checked vectors, ready to store: ``rows`` is a new ``(n, dim)`` array in the
    storage dtype; ``inv_norms`` holds ``1 / |row|`` (float64) under cosine, else
    ``None``."""

    rows: npt.NDArray[np.floating]
    inv_norms: npt.NDArray[np.float64] | None


def check_dim(dim: object) -> int | None:
    """``dim`` as a positive int, or ``None`` (decided by the first vector)."""
    if dim is None:
        return None
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ConfigurationError(f"dim must be a positive int or None; got {dim!r}")
    return dim


def check_dtype(dtype: object) -> np.dtype[Any] | None:
    """``dtype`` as float32 or float64, or ``None`` (decided by the first vector)."""
    if dtype is None:
        return None
    try:
        resolved: np.dtype[Any] | None = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        resolved = None
    if resolved not in (_FLOAT32, _FLOAT64):
        raise ConfigurationError(f"dtype must be float32, float64 or None; got {dtype!r}")
    return resolved


def _storage_dtype(given: np.dtype[Any], configured: np.dtype[Any] | None) -> np.dtype[Any]:
    if configured is not None:
        return configured
    return _FLOAT32 if given.kind == "f" and given.itemsize <= 4 else _FLOAT64


def prepare_vector(
    vector: object,
    *,
    dim: int | None,
    dtype: np.dtype[Any] | None,
    metric: MetricName,
    what: str = "vector",
    copy: bool = True,
) -> tuple[npt.NDArray[np.floating], float | None]:
    """Check one vector (a 1-D array or a sequence of numbers) and convert it.

    Returns the vector in the storage dtype (a new array unless ``copy=False``, for
    queries) and, under cosine, ``1 / |vector|``. Raises
    :class:`~pepperpy.caching.InvalidVectorError` for anything that is not a 1-D array
    of ``dim`` finite real numbers (a non-zero one under cosine).
    """
    if (
        type(vector) is np.ndarray
        and vector.dtype is dtype
        and vector.ndim == 1
        and vector.shape[0] == dim
    ):  # the common case, checked in as few steps as possible
        if copy:
            row = vector.copy()
            squared = _squared32(row) if dtype is _FLOAT32 else _squared64(row)
        else:  # a query: vdot sums in float32 (~1e-7 relative, no overflow warning)
            row = vector
            squared = float(np.vdot(row, row)) if dtype is _FLOAT32 else _squared64(row)
        if 0.0 < squared <= MAX_SQUARED_NORM:
            return row, (1.0 / math.sqrt(squared) if metric == "cosine" else None)
    array = vector if type(vector) is np.ndarray else _as_array(vector, what)
    if array.ndim != 1 or array.dtype.kind not in _NUMERIC_KINDS:
        _as_array(array, what)
        raise InvalidVectorError(
            f"{what} must be one-dimensional; got an array of shape {array.shape}"
        )
    length = array.shape[0]
    if length != dim:
        _check_length(length, dim, what)
    storage = _storage_dtype(array.dtype, dtype)
    if array.dtype == storage:
        row = array.copy() if copy else array
    else:
        with np.errstate(over="ignore"):  # an overflow becomes inf, refused below
            row = array.astype(storage)
    # The squared norm in float64 cannot overflow for float32 values; NaN and inf make
    # it NaN or inf, which fail the comparison. Anything doubtful is decided below.
    squared = _squared64(row) if storage == _FLOAT64 else _squared32(row)
    if 0.0 < squared <= MAX_SQUARED_NORM:
        return row, (1.0 / math.sqrt(squared) if metric == "cosine" else None)
    inv_norms = _check_values(row[None], metric, lambda _: what)
    return row, (None if inv_norms is None else float(inv_norms[0]))


def _squared32(row: npt.NDArray[np.floating]) -> float:
    wide = row.astype(_FLOAT64)  # squares of float32 values cannot overflow float64
    return float(wide.dot(wide))


def _squared64(row: npt.NDArray[np.floating]) -> float:
    with np.errstate(over="ignore"):
        return float(np.dot(row, row))


def prepare_batch(
    vectors: object,
    *,
    dim: int | None,
    dtype: np.dtype[Any] | None,
    metric: MetricName,
    keys: Sequence[str] | None = None,
    name: str = "vector",
) -> Prepared:
    """Check a batch (a 2-D array, or a sequence of vectors) and convert it.

    Every vector is checked before the batch is accepted; the error names the first
    offending vector by its key when ``keys`` is given, else by its position
    (``"vector #3"``, or ``"query #3"`` with ``name="query"``).
    """

    def what(i: int) -> str:
        return f"{name} for key {keys[i]!r}" if keys is not None else f"{name} #{i}"

    if isinstance(vectors, np.ndarray):
        if vectors.ndim != 2:
            raise InvalidVectorError(
                f"a batch must be a 2-D array (one row per vector); got shape {vectors.shape}"
            )
        array = _as_array(vectors, "the batch")
    else:
        array = _stack(vectors, dim, what)
    if keys is not None and len(keys) != array.shape[0]:
        raise InvalidVectorError(f"got {len(keys)} keys for {array.shape[0]} vectors")
    if array.shape[0] == 0:
        return Prepared(np.empty((0, dim or 0), dtype or _FLOAT64), None)
    _check_length(array.shape[1], dim, what(0) if dim is None else "each vector")
    with np.errstate(over="ignore"):
        rows = array.astype(_storage_dtype(array.dtype, dtype))
    return Prepared(rows, _check_values(rows, metric, what))


def _as_array(vector: object, what: str) -> npt.NDArray[Any]:
    if isinstance(vector, np.ndarray) and type(vector) is not np.ndarray:
        # np.asarray would silently drop what the subclass adds (a masked array's mask).
        raise InvalidVectorError(
            f"{what} is a {type(vector).__module__}.{type(vector).__name__}, a subclass of "
            "numpy.ndarray whose extra state would be lost; pass a plain array "
            "(for a masked array, decide what the masked values are: x.filled(value))"
        )
    try:
        array = np.asarray(vector)
    except (TypeError, ValueError) as exc:
        raise InvalidVectorError(f"{what} is not an array of numbers ({exc})") from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise InvalidVectorError(
            f"{what} must hold real numbers (int or float); got dtype {array.dtype}"
        )
    return array


def _check_length(length: int, dim: int | None, what: str) -> None:
    if length == 0:
        raise InvalidVectorError(f"{what} is empty")
    if dim is not None and length != dim:
        raise InvalidVectorError(f"{what} has dimension {length}; this index holds {dim}")


def _stack(vectors: object, dim: int | None, what: Callable[[int], str]) -> npt.NDArray[Any]:
    """Check a sequence of vectors one by one (naming the first bad one) and stack them."""
    if isinstance(vectors, (str, bytes)) or not isinstance(vectors, (Sequence, np.ndarray)):
        raise InvalidVectorError(
            f"a batch must be a 2-D array or a sequence of vectors; got {type(vectors).__name__}"
        )
    arrays = []
    for i, vector in enumerate(vectors):
        array = _as_array(vector, what(i))
        if array.ndim != 1:
            raise InvalidVectorError(
                f"{what(i)} must be one-dimensional; got an array of shape {array.shape}"
            )
        _check_length(array.shape[0], dim, what(i))
        dim = array.shape[0]
        arrays.append(array)
    if not arrays:
        return np.empty((0, dim or 0))
    return np.stack(arrays)


def _check_values(
    rows: npt.NDArray[np.floating], metric: MetricName, what: Callable[[int], str]
) -> npt.NDArray[np.float64] | None:
    """Refuse non-finite values, huge norms and (cosine) zero vectors; 1/norms for cosine."""
    with np.errstate(over="ignore", invalid="ignore"):
        squared = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
    # NaN and inf make the squared norm NaN or inf, which fails these comparisons.
    good = (squared > 0.0) & (squared <= MAX_SQUARED_NORM)
    if metric != "cosine":
        good |= squared == 0.0
    if not good.all():
        i = int(np.argmin(good))
        if not np.isfinite(rows[i]).all():
            problem = "contains NaN or infinite values"
        elif squared[i] == 0.0:
            problem = "is the zero vector, which has no direction: cosine cannot compare it"
        else:
            problem = (
                f"has a norm too large to search in float32 (at most {MAX_SQUARED_NORM**0.5:.3g})"
            )
        raise InvalidVectorError(f"{what(i)} {problem} (as stored in {rows.dtype})")
    if metric != "cosine":
        return None
    inv_norms: npt.NDArray[np.float64] = np.reciprocal(np.sqrt(squared))
    return inv_norms
