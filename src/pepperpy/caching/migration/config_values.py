"""Reading old settings' values: each parser returns the new value or raises
:class:`~pepperpy.caching.ConfigurationError` naming the setting.

Old configurations often come from files or the environment, so numbers and
booleans are also accepted as strings (``"300"``, ``"true"``).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

from pepperpy.caching import CachePolicy, ConfigurationError

__all__ = (
    "as_bool",
    "as_int",
    "as_namespace",
    "as_policy",
    "as_serializer",
    "as_size",
    "as_startup_nodes",
    "as_text",
    "as_timeout",
    "as_ttl",
    "as_url",
)

_NONE_WORDS: Final = frozenset({"none", "null", "never", "forever", "unbounded", "unlimited", ""})
_TRUE: Final = frozenset({"true", "yes", "on", "1", "y", "t"})
_FALSE: Final = frozenset({"false", "no", "off", "0", "n", "f"})

_POLICIES: Final = {
    "lru": "lru",
    "least_recently_used": "lru",
    "lrucache": "lru",
    "ttlcache": "lru",
    "tlru": "lru",
    "lfu": "lfu",
    "least_frequently_used": "lfu",
    "lfucache": "lfu",
    "fifo": "fifo",
    "first_in_first_out": "fifo",
    "fifocache": "fifo",
    "random": "random",
    "rr": "random",
    "rand": "random",
    "random_replacement": "random",
    "rrcache": "random",
}
# Redis spells them "allkeys-lru", "volatile-lfu"...: the in-process policy is the same.
_POLICY_PREFIXES: Final = ("allkeys_", "volatile_")

_SERIALIZERS: Final = {
    "json": "json",
    "jsonserializer": "json",
    "string": "string",
    "str": "string",
    "text": "string",
    "stringserializer": "string",
    "bytes": "bytes",
    "raw": "bytes",
    "binary": "bytes",
    "null": "bytes",
    "nullserializer": "bytes",
}

_URL_SCHEMES: Final = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")


def _bad(name: str, value: object, expected: str) -> ConfigurationError:
    shown = "***" if name == "password" else repr(value)
    return ConfigurationError(f"setting {name!r}: expected {expected}; got {shown}")


def _number(name: str, value: object, expected: str) -> float:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise _bad(name, value, expected) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(name, value, expected)
    return float(value)


def as_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """An integer in ``[minimum, maximum]`` (an integral float or digits accepted)."""
    expected = f"an int >= {minimum}" + ("" if maximum is None else f" and <= {maximum}")
    number = _number(name, value, expected)
    if not number.is_integer() or number < minimum or (maximum is not None and number > maximum):
        raise _bad(name, value, expected)
    return int(number)


def as_size(name: str, value: object) -> int | None:
    """A capacity in entries; ``None`` (or inf, ``"unbounded"``) for no bound."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
        return None
    if isinstance(value, float) and math.isinf(value) and value > 0:
        return None
    if value == 0 and not isinstance(value, bool):
        raise ConfigurationError(
            f"setting {name!r}: 0 is not a capacity here (a cache of size 0 keeps nothing); "
            "use None for an unbounded cache"
        )
    return as_int(name, value, 1)


def as_ttl(name: str, value: object) -> int | float | None:
    """A TTL in seconds: positive and finite, or ``None`` for no expiry."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        seconds = _number(name, value, "seconds (a positive number), a timedelta or None")
    if seconds == 0:
        raise ConfigurationError(
            f"setting {name!r}: a TTL of 0 is refused (older caches read it as 'never "
            "expire' or 'do not cache'); use None for entries that never expire"
        )
    if not (seconds > 0 and math.isfinite(seconds)):
        raise _bad(name, value, "a positive finite number of seconds, a timedelta or None")
    return int(seconds) if seconds.is_integer() and not isinstance(value, float) else seconds


def as_timeout(name: str, value: object) -> float:
    """An operation timeout in seconds: positive and finite."""
    seconds = _number(name, value, "a positive number of seconds")
    if not (seconds > 0 and math.isfinite(seconds)):
        raise _bad(name, value, "a positive number of seconds")
    return seconds


def as_bool(name: str, value: object) -> bool:
    """A flag: a bool, 0/1, or words such as true/false, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise _bad(name, value, "true or false")


def as_text(name: str, value: object) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise _bad(name, value, "a non-empty str")
    return value


def _word(text: str) -> str:
    return re.sub(r"[\s\-.]+", "_", text.strip().lower())


def as_policy(name: str, value: object) -> str | CachePolicy:
    """A policy name of this library (or a :class:`CachePolicy` object, kept)."""
    if isinstance(value, CachePolicy) and not isinstance(value, str | type):
        return value
    if isinstance(value, enum.Enum):
        value = value.value if isinstance(value.value, str) else value.name
    if isinstance(value, type):
        value = value.__name__
    if isinstance(value, str):
        word = _word(value)
        for prefix in _POLICY_PREFIXES:
            word = word.removeprefix(prefix)
        found = _POLICIES.get(word)
        if found is not None:
            return found
    raise _bad(
        name,
        value,
        "an eviction policy such as 'lru'/'least_recently_used', 'lfu', "
        "'fifo'/'first_in_first_out' or 'random'",
    )


def as_namespace(name: str, value: object) -> str:
    """A namespace: an old key prefix without its trailing separator (``"app:"``
    becomes ``"app"``); it may not contain ``":"`` elsewhere."""
    if not isinstance(value, str):
        raise _bad(name, value, "a str")
    namespace = value.removesuffix(":")
    if not namespace or ":" in namespace:
        raise ConfigurationError(
            f"setting {name!r}: {value!r} cannot be a namespace (it must be non-empty and "
            "contain ':' at most at the end); nest Cache(..., namespace=...) views for "
            "multi-part prefixes"
        )
    return namespace


def as_url(name: str, value: object) -> str:
    """A Redis URL (``redis://``, ``rediss://``, ``unix://``, or a cluster scheme)."""
    if isinstance(value, str):
        scheme = value.partition("://")[0].lower()
        if "://" in value and scheme in _URL_SCHEMES:
            return value
    raise ConfigurationError(
        f"setting {name!r}: expected a Redis URL starting with "
        + ", ".join(f"{scheme}://" for scheme in _URL_SCHEMES)
    )


def as_startup_nodes(name: str, value: object) -> list[str | tuple[str, int]]:
    """Cluster nodes: ``"h1:7000,h2:7001"``, or a list of ``"host:port"``, ``(host, port)``
    or ``{"host": ..., "port": ...}``."""
    items: Sequence[Any]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, Sequence):
        items = value
    else:
        raise _bad(name, value, "a list of 'host:port' or (host, port)")
    nodes: list[str | tuple[str, int]] = []
    for item in items:
        if isinstance(item, dict) and "host" in item:
            nodes.append((as_text(name, item["host"]), as_int(name, item.get("port", 6379), 1)))
        elif isinstance(item, str):
            host, sep, port = item.rpartition(":")
            if not sep or not host:
                raise _bad(name, item, "'host:port'")
            nodes.append((host, as_int(name, port, 1, 65535)))
        elif isinstance(item, Sequence) and len(item) == 2:
            nodes.append((as_text(name, item[0]), as_int(name, item[1], 1, 65535)))
        else:
            raise _bad(name, item, "'host:port' or (host, port)")
    if not nodes:
        raise _bad(name, value, "at least one node")
    return nodes


def as_serializer(name: str, value: object) -> object:
    """A serializer name of this library, or a serializer object (kept as given).

    A class may be named by its dotted path, and aiocache's ``{"class": ...}`` form is
    read. Returns ``None`` for pickle, which cannot be converted by name (it must be
    signed with a secret); the caller drops it with a warning.
    """
    if isinstance(value, Mapping) and "class" in value:
        value = value["class"]
    is_object = not isinstance(value, str | type)
    if (
        is_object
        and callable(getattr(value, "dumps", None))
        and callable(getattr(value, "loads", None))
    ):
        return value
    text = value.__name__ if isinstance(value, type) else value
    if isinstance(text, str):
        word = _word(text.rpartition(".")[2])
        if "pickle" in word:
            return None
        found = _SERIALIZERS.get(word)
        if found is not None:
            return found
    raise _bad(name, value, "'json', 'string', 'bytes' or a serializer object")
