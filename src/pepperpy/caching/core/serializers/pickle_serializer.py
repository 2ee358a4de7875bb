"""Pickle signed with HMAC-SHA256: for trusted values JSON cannot carry."""

from __future__ import annotations

import hmac
import pickle
from collections.abc import Iterable
from typing import Any, final

from ..errors import ConfigurationError, SerializationError
from ._buffers import as_bytes
from ._describe import describe_type

__all__ = ("MIN_SECRET_BYTES", "PickleSerializer")

MIN_SECRET_BYTES = 32
"""The shortest secret :class:`PickleSerializer` accepts, in bytes: 256 bits, the
strength of HMAC-SHA256. Generate one with ``secrets.token_bytes(32)``."""

# Layout: header | pickle payload | HMAC-SHA256(secret, header | payload).
# The header names the format and is covered by the tag, so a later format cannot be
# passed off as this one.
_HEADER = b"pps\x01"
_TAG_SIZE = 32
_MIN_SIZE = len(_HEADER) + 1 + _TAG_SIZE
_DEFAULT_PROTOCOL = 5


def _secret_bytes(secret: object, what: str) -> bytes:
    if isinstance(secret, str):
        try:
            key = secret.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigurationError(f"the {what} is a str that is not valid UTF-8") from None
    elif isinstance(secret, bytes | bytearray):
        key = bytes(secret)
    else:
        raise ConfigurationError(
            f"the {what} must be bytes or str, not a value of type {describe_type(secret)}"
        )
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"the {what} must be at least {MIN_SECRET_BYTES} bytes long, got {len(key)}; "
            "generate one with secrets.token_bytes(32)"
        )
    return key


@final
class PickleSerializer:
    """Any picklable value, signed so that only holders of ``secret`` can write it.

    Unpickling runs code chosen by whoever wrote the bytes, so a pickle read from a
    shared store must come from someone trusted. Every payload therefore carries an
    HMAC-SHA256 tag under ``secret``; :meth:`loads` checks it in constant time
    (:func:`hmac.compare_digest`) *before* unpickling anything, and refuses unsigned,
    truncated or tampered data and data signed with another secret with a
    :class:`~pepperpy.caching.SerializationError`.

    Args:
        secret: at least 32 bytes (a ``str`` counts as its UTF-8 bytes). Every
            process that shares the store needs the same one. Never shown in reprs.
        fallback_secrets: older secrets still accepted by :meth:`loads` (never used by
            :meth:`dumps`), so that a secret can be rotated without losing the
            entries written under the previous one.
        protocol: the pickle protocol. The default, 5, is readable by every Python
            version the library supports, so mixed fleets interoperate.

    Raises:
        ConfigurationError: a secret of the wrong type or shorter than 32 bytes, or a
            protocol pickle does not know.
    """

    __slots__ = ("_fallbacks", "_keys", "_protocol", "_secret")

    def __init__(
        self,
        secret: bytes | str,
        *,
        fallback_secrets: Iterable[bytes | str] = (),
        protocol: int = _DEFAULT_PROTOCOL,
    ) -> None:
        self._secret = _secret_bytes(secret, "secret")
        if isinstance(fallback_secrets, str | bytes | bytearray):
            raise ConfigurationError(
                "fallback_secrets must be a collection of secrets, not a single secret"
            )
        self._fallbacks = tuple(_secret_bytes(s, "fallback secret") for s in fallback_secrets)
        self._keys = (self._secret, *self._fallbacks)
        if type(protocol) is not int or not 0 <= protocol <= pickle.HIGHEST_PROTOCOL:
            raise ConfigurationError(
                f"protocol must be an int from 0 to {pickle.HIGHEST_PROTOCOL}, got {protocol!r}"
            )
        self._protocol = protocol

    def dumps(self, obj: Any) -> bytes:
        """Pickle ``obj`` and sign it."""
        try:
            body = _HEADER + pickle.dumps(obj, self._protocol)
        except Exception as exc:
            raise SerializationError(
                f"PickleSerializer cannot encode a value of type {describe_type(obj)}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return body + hmac.digest(self._secret, body, "sha256")

    def loads(self, data: bytes) -> Any:
        """Check the signature of ``data``, then unpickle it."""
        data = as_bytes(data, "PickleSerializer.loads")
        if len(data) < _MIN_SIZE or not data.startswith(_HEADER):
            raise SerializationError(
                "PickleSerializer refused data that does not carry its signature "
                "(unsigned, truncated, or written by another serializer)"
            )
        view = memoryview(data)
        body = view[:-_TAG_SIZE]
        tag = view[-_TAG_SIZE:]
        for key in self._keys:
            if hmac.compare_digest(hmac.digest(key, body, "sha256"), tag):
                break
        else:
            raise SerializationError(
                "PickleSerializer refused data whose signature does not match "
                "(tampered with, or signed with another secret); nothing was unpickled"
            )
        try:
            return pickle.loads(body[len(_HEADER) :])
        except Exception as exc:
            raise SerializationError(
                "PickleSerializer verified the signature but could not unpickle the data: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def __repr__(self) -> str:
        fallbacks = f", fallback_secrets=<{len(self._fallbacks)} hidden>" if self._fallbacks else ""
        return f"PickleSerializer(secret=<hidden>{fallbacks}, protocol={self._protocol})"
