"""How to reach Redis: the validated connection settings of one RedisCache.

Holds the password; everything that prints settings goes through :meth:`describe`,
which never shows it, and :meth:`secrets` lists what error messages must not contain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ...core.errors import ConfigurationError
from ..distributed import check_timeout

__all__ = ("ExecutorChoice", "RedisOptions", "StartupNode", "parse_startup_nodes")

ExecutorChoice: TypeAlias = Literal["auto", "asyncio", "thread"]
StartupNode: TypeAlias = tuple[str, int]

_CLUSTER_SCHEMES: Final = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
_SCHEMES: Final = frozenset({"redis", "rediss", "unix", *_CLUSTER_SCHEMES})
_MASK: Final = "***"


def parse_startup_nodes(nodes: object) -> tuple[StartupNode, ...]:
    """``[("h", 7000), "h:7001", ...]`` as ``(host, port)`` pairs."""
    if nodes is None:
        return ()
    if isinstance(nodes, str | bytes) or not isinstance(nodes, Sequence):
        raise ConfigurationError(
            f"startup_nodes must be a sequence of (host, port) or 'host:port'; got {nodes!r}"
        )
    parsed: list[StartupNode] = []
    for node in nodes:
        if isinstance(node, str):
            host, sep, port_text = node.rpartition(":")
            if not sep or not host or not port_text.isdigit():
                raise ConfigurationError(f"startup node must be 'host:port'; got {node!r}")
            parsed.append((host, int(port_text)))
        elif (
            isinstance(node, Sequence)
            and len(node) == 2
            and isinstance(node[0], str)
            and isinstance(node[1], int)
        ):
            parsed.append((node[0], node[1]))
        else:
            raise ConfigurationError(
                f"startup node must be (host, port) or 'host:port'; got {node!r}"
            )
    return tuple(parsed)


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{_MASK}@{host}"))


@dataclass(frozen=True, slots=True, repr=False)
class RedisOptions:
    """Connection settings, checked once at construction (``ConfigurationError``)."""

    host: str = "localhost"
    port: int = 6379
    db: int = 0
    password: str | None = None
    username: str | None = None
    url: str | None = None
    cluster: bool = False
    startup_nodes: tuple[StartupNode, ...] = ()
    ssl: bool = False
    timeout: float = 5.0
    executor: ExecutorChoice = "auto"
    max_threads: int = 16
    connection_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host:
            raise ConfigurationError(f"host must be a non-empty str; got {self.host!r}")
        for name in ("port", "db", "max_threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(f"{name} must be a non-negative int; got {value!r}")
        if self.max_threads < 1:
            raise ConfigurationError(f"max_threads must be >= 1; got {self.max_threads!r}")
        object.__setattr__(self, "timeout", check_timeout(self.timeout))
        if self.executor not in ("auto", "asyncio", "thread"):
            raise ConfigurationError(
                f"executor must be 'auto', 'asyncio' or 'thread'; got {self.executor!r}"
            )
        for name in ("password", "username"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigurationError(f"{name} must be a str or None")
        if self.url is not None:
            self._check_url(self.url)
        if self.cluster and self.db != 0:
            raise ConfigurationError("a Redis Cluster has only database 0")
        if not isinstance(self.connection_options, Mapping):
            raise ConfigurationError("connection_options must be a mapping of redis-py options")

    def _check_url(self, url: object) -> None:
        if not isinstance(url, str):
            raise ConfigurationError("url must be a str")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ConfigurationError(
                f"url is not a valid Redis URL: {_redact_url_safely(url)}"
            ) from None
        if parts.scheme not in _SCHEMES:
            raise ConfigurationError(
                "url must start with redis://, rediss://, unix://, redis+cluster:// or"
                f" rediss+cluster://; got {_redact_url_safely(url)}"
            )
        if parts.scheme in _CLUSTER_SCHEMES:
            object.__setattr__(self, "cluster", True)

    @property
    def client_url(self) -> str | None:
        """The URL as redis-py takes it (cluster schemes mapped to redis/rediss)."""
        if self.url is None:
            return None
        parts = urlsplit(self.url)
        scheme = _CLUSTER_SCHEMES.get(parts.scheme)
        return self.url if scheme is None else urlunsplit(parts._replace(scheme=scheme))

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in a message: the password, in every spelling."""
        found: set[str] = set()
        if self.password:
            found.update((self.password, quote(self.password, safe="")))
        if self.url is not None:
            raw = urlsplit(self.url).netloc.rpartition("@")[0].partition(":")[2]
            if raw:
                found.update((raw, unquote(raw), quote(unquote(raw), safe="")))
        # Longest first, so a secret containing another is masked whole.
        return tuple(sorted((s for s in found if s), key=len, reverse=True))

    def describe(self) -> str:
        """Where this connects to, for reprs and messages, without the password."""
        if self.url is not None:
            return _redact_url_safely(self.url)
        where = ",".join(f"{h}:{p}" for h, p in self.startup_nodes) or f"{self.host}:{self.port}"
        scheme = "rediss" if self.ssl else "redis"
        if self.cluster:
            return f"{scheme}+cluster://{where}"
        return f"{scheme}://{where}/{self.db}"


def _redact_url_safely(url: str) -> str:
    try:
        return _redact_url(url)
    except ValueError:
        return "<unparsable url>"
