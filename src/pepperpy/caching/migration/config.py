"""Old cache settings -> keyword arguments of this library's cache constructors.

The tables below are the whole mapping: each new setting with the old names that mean
it, the old names that have no equivalent (dropped, with the reason), and the
redis-py connection options passed through to RedisCache's ``connection_options``.
Names are compared in lower case with ``-``, ``.`` and spaces read as ``_``, leading
underscores ignored (for attributes such as ``_max_size``) and Flask-Caching's
``CACHE_`` / ``CACHE_REDIS_`` prefixes understood. ``timeout`` alone means different
things in different libraries: :mod:`.config_dialects` decides.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pepperpy.caching import ConfigurationError

from . import config_values as values
from .categories import DroppedSettingWarning, UnknownSettingWarning
from .config_dialects import dialect_of, timeout_meaning

__all__ = (
    "ALIASES",
    "CONNECTION_OPTIONS",
    "DROPPED",
    "CachePlan",
    "convert_config",
    "is_setting_name",
    "plan_config",
)

Kind = Literal["memory", "redis"]

ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "max_size": (
        "max_size", "maxsize", "capacity", "size", "max_entries", "max_items", "maxlen",
        "threshold",
    ),
    "policy": ("policy", "eviction_policy", "eviction", "strategy", "replacement_policy"),
    "default_ttl": (
        "default_ttl", "ttl", "expire", "expires", "expiry", "expiration",
        "default_timeout", "ttl_seconds",
    ),
    "url": ("url", "uri", "dsn", "location", "redis_url"),
    "host": ("host", "hostname", "endpoint", "server"),
    "port": ("port",),
    "db": ("db", "database", "db_index", "redis_db"),
    "password": ("password", "passwd"),
    "username": ("username", "user"),
    "ssl": ("ssl", "tls", "use_ssl"),
    "cluster": ("cluster", "cluster_mode", "is_cluster"),
    "startup_nodes": ("startup_nodes", "nodes", "cluster_nodes"),
    "namespace": ("namespace", "prefix", "key_prefix"),
    "timeout": ("socket_timeout", "op_timeout", "operation_timeout", "command_timeout"),
    "fail_open": ("fail_open", "ignore_exceptions", "ignore_errors"),
    "serializer": ("serializer",),
}  # fmt: skip
"""New setting -> the old names that mean it (``timeout`` aside: see the module doc)."""

_TIMEOUT: Final = "timeout"
"""The old name whose meaning depends on the library: see :mod:`.config_dialects`."""

_PARSERS: Final[dict[str, Callable[[str, object], Any]]] = {
    "max_size": values.as_size,
    "policy": values.as_policy,
    "default_ttl": values.as_ttl,
    "url": values.as_url,
    "host": values.as_text,
    "port": lambda name, value: values.as_int(name, value, 1, 65535),
    "db": lambda name, value: values.as_int(name, value, 0),
    "password": values.as_text,
    "username": values.as_text,
    "ssl": values.as_bool,
    "cluster": values.as_bool,
    "startup_nodes": values.as_startup_nodes,
    "namespace": values.as_namespace,
    "timeout": values.as_timeout,
    "fail_open": values.as_bool,
    "serializer": values.as_serializer,
}

_MEMORY_ONLY: Final = frozenset({"max_size", "policy"})
_REDIS_ONLY: Final = frozenset(
    {"url", "host", "port", "db", "password", "username", "ssl", "cluster", "startup_nodes",
     "timeout", "fail_open", "serializer"}
)  # fmt: skip
_ORDER: Final = (*ALIASES, "connection_options")

CONNECTION_OPTIONS: Final = frozenset(
    {"socket_connect_timeout", "socket_keepalive", "max_connections", "client_name",
     "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname",
     "ssl_ca_data", "ssl_ca_path", "ssl_password", "protocol"}
)  # fmt: skip
"""Connection options (redis-py's names) passed through in RedisCache's
``connection_options``."""

DROPPED: Final[dict[str, str]] = {
    "decode_responses": "RedisCache decodes values with its serializer and needs raw bytes",
    "encoding": "RedisCache decodes values with its serializer",
    "encoding_errors": "RedisCache decodes values with its serializer",
    "key_builder": "keys are used exactly as given; build them before calling the cache",
    "key_func": "keys are used exactly as given; build them before calling the cache",
    "key_function": "keys are used exactly as given; build them before calling the cache",
    "plugins": "there are no plugin hooks; wrap the cache or use MemoryCache(on_evict=...)",
    "cull_frequency": "a full MemoryCache evicts one entry at a time, by its policy",
    "getsizeof": "max_size counts entries, not weights",
    "timer": "give MemoryCache a clock= callable instead",
    "loop": "a cache runs on the event loop it is used from",
    "version": "key versions are not part of this library; put them in the namespace",
    "pickle_protocol": "remote stores use JSON unless given PickleSerializer(secret=...)",
    "health_check_interval": "a dead connection is found by the operation deadline and replaced",
    "retry_on_timeout": "timeout bounds each operation, retries included; none is added",
    "socket_keepalive_options": "socket_keepalive=True turns keepalive on with the system's timers",
}
"""Old settings recognized but without an equivalent -> why they are dropped."""

# "cache" is aiocache's (caches.set_config({"default": {"cache": "aiocache.RedisCache"}})).
_BACKEND_KEYS: Final = frozenset(
    {"backend", "type", "cache_type", "class", "engine", "kind", "cache"}
)
_NESTED_KEYS: Final = frozenset({"options", "opts", "config", "settings"})
_UNSUPPORTED_WORDS: Final = ("memcached", "pymemcache", "pylibmc", "aiomcache")
_MEMORY_WORDS: Final = ("mem", "local", "simple", "lru", "lfu", "fifo", "ttl", "dict", "process")

_CANONICAL: Final = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(".", "_").replace(" ", "_").lstrip("_")


def _lookup(name: str) -> str:
    """The table name ``name`` stands for (Flask-style prefixes removed), or ``name``."""
    normal = _normalize(name)
    candidates = [normal]
    for prefix in ("cache_redis_", "cache_", "redis_"):
        if normal.startswith(prefix):
            candidates.append(normal.removeprefix(prefix))
    for candidate in candidates:
        if (
            candidate in _CANONICAL
            or candidate == _TIMEOUT
            or candidate in DROPPED
            or candidate in CONNECTION_OPTIONS
            or candidate in _BACKEND_KEYS
            or candidate in _NESTED_KEYS
        ):
            return candidate
    return normal


def is_setting_name(name: object) -> bool:
    """Whether ``name`` is an old setting name this module recognizes."""
    if not isinstance(name, str):
        return False
    found = _lookup(name)
    tables = (_CANONICAL, DROPPED, CONNECTION_OPTIONS, _BACKEND_KEYS, {_TIMEOUT})
    return any(found in table for table in tables)


@dataclass(slots=True)
class CachePlan:
    """The cache an old configuration describes.

    ``kind`` says which constructor ``kwargs`` are for. For an in-process cache the
    old key prefix, if any, is in ``namespace`` (MemoryCache has none: wrap it in
    ``Cache(..., namespace=...)``); for Redis it is in ``kwargs``.
    """

    kind: Kind
    kwargs: dict[str, Any]
    namespace: str | None = None
    unknown: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)

    def warn(self, *, stacklevel: int, namespace_dropped: bool = True) -> None:
        """Emit the warnings for unknown and dropped settings, attributed to the frame
        ``stacklevel`` levels above the caller of this method."""
        if self.unknown:
            names = ", ".join(repr(name) for name in self.unknown)
            warnings.warn(
                f"unknown cache settings ignored: {names}",
                UnknownSettingWarning,
                stacklevel=stacklevel + 1,
            )
        for name, reason in self.dropped:
            warnings.warn(
                f"setting {name!r} dropped: {reason}",
                DroppedSettingWarning,
                stacklevel=stacklevel + 1,
            )
        if namespace_dropped and self.namespace is not None:
            warnings.warn(
                f"MemoryCache has no namespace: wrap it as "
                f"Cache(MemoryCache(...), namespace={self.namespace!r})",
                DroppedSettingWarning,
                stacklevel=stacklevel + 1,
            )


def _flatten(old: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    """The settings of ``old`` with nested option mappings (Django's ``OPTIONS``) inlined."""
    flat: list[tuple[str, Any]] = []
    for name, value in old.items():
        if not isinstance(name, str):
            raise ConfigurationError(f"setting names must be str; got {name!r}")
        if _lookup(name) in _NESTED_KEYS and isinstance(value, Mapping):
            flat.extend(_flatten(value))
        else:
            flat.append((name, value))
    return flat


def _backend_text(value: object) -> str | None:
    """What a backend setting names: its text, or a class's dotted path."""
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    text = value if isinstance(value, str) else getattr(value, "__name__", None)
    return text if isinstance(text, str) else None


def _kind_of(name: str, value: object) -> Kind:
    text = _backend_text(value)
    if text is not None:
        word = text.lower()
        if any(part in word for part in _UNSUPPORTED_WORDS):
            pass  # memcached: a remote store this library has no client for
        elif "redis" in word:
            return "redis"
        elif any(part in word for part in _MEMORY_WORDS):
            return "memory"
    raise ConfigurationError(
        f"setting {name!r}: no cache of this library replaces {value!r} "
        "(MemoryCache replaces in-process caches, RedisCache Redis ones)"
    )


def plan_config(old: Mapping[Any, Any]) -> CachePlan:
    """Read an old configuration; raise ConfigurationError for a bad value.

    The kind of cache is the backend setting's if there is one, else Redis when any
    connection setting is present, else in-process. Settings that do not apply to
    that kind are dropped (with their reason) without their values being checked.
    """
    if not isinstance(old, Mapping):
        raise ConfigurationError(f"a configuration must be a Mapping; got {type(old).__name__}")
    given: list[tuple[str, str, Any]] = []  # (old name, new name, raw value)
    options: dict[str, Any] = {}
    unknown: list[str] = []
    dropped: list[tuple[str, str]] = []
    timeouts: list[tuple[str, Any]] = []
    backends: list[str] = []
    kind: Kind | None = None
    flat = _flatten(old)
    for name, raw in flat:
        key = _lookup(name)
        if key in _BACKEND_KEYS:
            kind = _kind_of(name, raw)
            backends.append(_backend_text(raw) or "")
        elif key == _TIMEOUT:
            timeouts.append((name, raw))
        elif key in DROPPED:
            dropped.append((name, DROPPED[key]))
        elif key in CONNECTION_OPTIONS:
            options[key] = raw
        elif key in _CANONICAL:
            given.append((name, _CANONICAL[key], raw))
        else:
            unknown.append(name)
    if kind is None:
        redis = options or any(new in _REDIS_ONLY for _, new, _ in given)
        kind = "redis" if redis else "memory"
    dialect = dialect_of(backends, (_lookup(name) for name, _ in flat))
    for name, raw in timeouts:
        meaning, why = timeout_meaning(dialect, redis=kind == "redis")
        if meaning is None:
            dropped.append((name, why))
        else:
            given.append((name, meaning, raw))
    misfits, reason = (
        (_MEMORY_ONLY, "Redis evicts by the server's maxmemory-policy and memory limit")
        if kind == "redis"
        else (_REDIS_ONLY, "an in-process cache does not connect to a server")
    )
    found: dict[str, tuple[str, Any]] = {}  # new name -> (old name, new value)
    for name, new, raw in given:
        if new in misfits:
            dropped.append((name, reason))
            continue
        value = _PARSERS[new](name, raw)
        if new == "serializer" and value is None:
            dropped.append((name, "pickle must be signed: pass PickleSerializer(secret=...)"))
            continue
        if new in found and found[new][1] != value:
            raise ConfigurationError(
                f"settings {found[new][0]!r} and {name!r} both set {new} to different values"
            )
        found[new] = (name, value)
    if kind == "memory" and options:
        dropped.extend((name, reason) for name in options)
        options = {}
    kwargs = {new: found[new][1] for new in _ORDER if new in found}
    if options:
        kwargs["connection_options"] = options
    namespace = kwargs.pop("namespace", None) if kind == "memory" else None
    return CachePlan(kind, kwargs, namespace, unknown, dropped)


def convert_config(old: Mapping[Any, Any], *, stacklevel: int = 2) -> dict[str, Any]:
    """Keyword arguments for the cache an old configuration describes.

    See :meth:`~pepperpy.caching.migration.MigrationHelper.convert_config`.
    """
    plan = plan_config(old)
    plan.warn(stacklevel=stacklevel)
    return plan.kwargs
