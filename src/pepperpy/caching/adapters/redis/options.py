"""How to reach Redis: the validated connection settings of one RedisCache.

Holds the password; everything that prints settings goes through :meth:`describe`,
which never shows it, and :meth:`secrets` lists what error messages must not contain.
"""

from __future__ import annotations

import ssl as tls
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from ...core.errors import ConfigurationError
from ...core.remote.session import SessionSettings
from ...core.remote.topology import UNIX_PORT, Address
from ...core.resp import DEFAULT_MAX_FRAME_BYTES
from ..distributed import check_timeout

__all__ = (
    "CONNECTION_OPTIONS",
    "TLS_OPTIONS",
    "RedisOptions",
    "StartupNode",
    "parse_startup_nodes",
)

StartupNode: TypeAlias = tuple[str, int]

_CLUSTER_SCHEMES: Final = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
_SCHEMES: Final = frozenset({"redis", "rediss", "unix", *_CLUSTER_SCHEMES})
_MASK: Final = "***"
_DEFAULT_PORT: Final = 6379

TLS_OPTIONS: Final = (
    "ssl_ca_certs",
    "ssl_ca_data",
    "ssl_ca_path",
    "ssl_cert_reqs",
    "ssl_certfile",
    "ssl_check_hostname",
    "ssl_keyfile",
    "ssl_password",
)
"""The ``connection_options`` that set up TLS (redis-py's names)."""

CONNECTION_OPTIONS: Final = frozenset(
    {
        "client_name",
        "max_connections",
        "max_reply_bytes",
        "protocol",
        "socket_connect_timeout",
        "socket_keepalive",
        *TLS_OPTIONS,
    }
)
"""The ``connection_options`` a RedisCache understands (redis-py's names where it has
one; ``max_reply_bytes`` is this library's)."""

_CERT_REQS: Final = {
    "none": tls.CERT_NONE,
    "optional": tls.CERT_OPTIONAL,
    "required": tls.CERT_REQUIRED,
}


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
            parsed.append((host.strip("[]"), int(port_text)))
        elif (
            isinstance(node, Sequence)
            and len(node) == 2
            and isinstance(node[0], str)
            and isinstance(node[1], int)
            and not isinstance(node[1], bool)
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


def _redact_url_safely(url: str) -> str:
    try:
        return _redact_url(url)
    except ValueError:
        return "<unparsable url>"


def _non_negative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{name} must be a non-negative int; got {value!r}")
    return value


@dataclass(frozen=True, slots=True, repr=False)
class RedisOptions:
    """Connection settings, checked once at construction (``ConfigurationError``).

    A URL fills in what the arguments leave at their defaults; arguments win.
    """

    host: str = "localhost"
    port: int = _DEFAULT_PORT
    db: int = 0
    password: str | None = None
    username: str | None = None
    url: str | None = None
    cluster: bool = False
    startup_nodes: tuple[StartupNode, ...] = ()
    ssl: bool = False
    ssl_context: tls.SSLContext | None = None
    timeout: float = 5.0
    connection_options: Mapping[str, Any] = field(default_factory=dict)
    unix_path: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host:
            raise ConfigurationError(f"host must be a non-empty str; got {self.host!r}")
        _non_negative_int("port", self.port)
        _non_negative_int("db", self.db)
        object.__setattr__(self, "timeout", check_timeout(self.timeout))
        for name in ("password", "username"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigurationError(f"{name} must be a str or None")
        if self.ssl_context is not None and not isinstance(self.ssl_context, tls.SSLContext):
            raise ConfigurationError("ssl_context must be an tls.SSLContext")
        if not isinstance(self.connection_options, Mapping):
            raise ConfigurationError("connection_options must be a mapping")
        unknown = sorted(set(self.connection_options) - CONNECTION_OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"unknown connection_options {unknown}; known: {sorted(CONNECTION_OPTIONS)}"
            )
        object.__setattr__(self, "connection_options", dict(self.connection_options))
        self._check_options()
        if self.url is not None:
            self._apply_url(self.url)
        if self.ssl_context is not None:
            object.__setattr__(self, "ssl", True)
        if self.cluster and self.db != 0:
            raise ConfigurationError("a Redis Cluster has only database 0")

    def _check_options(self) -> None:
        options = self.connection_options
        if "protocol" in options and options["protocol"] not in (2, 3, "2", "3"):
            raise ConfigurationError(f"protocol must be 2 or 3; got {options['protocol']!r}")
        if "max_connections" in options:
            value = options["max_connections"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"max_connections must be an int >= 1; got {value!r}")
        if "max_reply_bytes" in options:
            value = options["max_reply_bytes"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"max_reply_bytes must be an int >= 1; got {value!r}")
        if "socket_connect_timeout" in options:
            value = options["socket_connect_timeout"]
            if value is not None:
                check_timeout(value)
        reqs = options.get("ssl_cert_reqs")
        if reqs is not None and not isinstance(reqs, tls.VerifyMode) and reqs not in _CERT_REQS:
            raise ConfigurationError(
                f"ssl_cert_reqs must be 'none', 'optional', 'required' or an tls.VerifyMode;"
                f" got {reqs!r}"
            )

    def _apply_url(self, url: object) -> None:
        if not isinstance(url, str):
            raise ConfigurationError("url must be a str")
        try:
            parts = urlsplit(url)
            port = parts.port  # raises ValueError for a port that is not a number
        except ValueError:
            raise ConfigurationError(
                f"url is not a valid Redis URL: {_redact_url_safely(url)}"
            ) from None
        if parts.scheme not in _SCHEMES:
            raise ConfigurationError(
                "url must start with redis://, rediss://, unix://, redis+cluster:// or"
                f" rediss+cluster://; got {_redact_url_safely(url)}"
            )
        query = parse_qs(parts.query)
        database: str | None = None
        if parts.scheme == "unix":
            object.__setattr__(self, "unix_path", unquote(parts.path))
            database = next(iter(query.get("db", [])), None)
        else:
            if parts.hostname:
                object.__setattr__(self, "host", unquote(parts.hostname))
            if port is not None:
                object.__setattr__(self, "port", port)
            database = parts.path.strip("/") or next(iter(query.get("db", [])), None)
        if database:
            if not database.isdigit():
                raise ConfigurationError(
                    f"the database in a Redis URL must be a number: {_redact_url_safely(url)}"
                )
            if self.db == 0:
                object.__setattr__(self, "db", int(database))
        if parts.password is not None and self.password is None:
            object.__setattr__(self, "password", unquote(parts.password))
        if parts.username and self.username is None:
            object.__setattr__(self, "username", unquote(parts.username))
        if parts.scheme.startswith("rediss"):
            object.__setattr__(self, "ssl", True)
        if parts.scheme in _CLUSTER_SCHEMES:
            object.__setattr__(self, "cluster", True)

    # -- what the transport needs --------------------------------------------------------

    def endpoints(self) -> tuple[Address, ...]:
        """The server (single node), or the nodes to learn a cluster from."""
        if self.unix_path is not None:
            return ((self.unix_path, UNIX_PORT),)
        if self.startup_nodes:
            return self.startup_nodes
        return ((self.host, self.port),)

    def session(self) -> SessionSettings:
        """What every connection is set up with."""
        options = self.connection_options
        protocol: Literal[2, 3] = 2 if str(options.get("protocol", 3)) == "2" else 3
        name = options.get("client_name")
        return SessionSettings(
            username=self.username,
            password=self.password,
            db=self.db,
            client_name=None if name is None else str(name),
            protocol=protocol,
        )

    def connect_timeout(self) -> float:
        """Seconds a connection attempt may take (never more than ``timeout``)."""
        value = self.connection_options.get("socket_connect_timeout")
        return self.timeout if value is None else min(float(value), self.timeout)

    @property
    def max_reply_bytes(self) -> int:
        """The largest reply accepted (a larger one ends its connection)."""
        return int(self.connection_options.get("max_reply_bytes", DEFAULT_MAX_FRAME_BYTES))

    @property
    def keepalive(self) -> bool:
        """Whether to turn on TCP keepalive (``socket_keepalive``)."""
        return bool(self.connection_options.get("socket_keepalive", False))

    def tls_context(self) -> tls.SSLContext | None:
        """The TLS context (``None`` without TLS): the one given, or one built from the
        ``ssl_*`` options (the system's authorities by default). Reads certificate files:
        call it once, when the cache is made."""
        if not self.ssl:
            return None
        if self.ssl_context is not None:
            return self.ssl_context
        options = self.connection_options
        try:
            context = tls.create_default_context(
                cafile=options.get("ssl_ca_certs"),
                capath=options.get("ssl_ca_path"),
                cadata=options.get("ssl_ca_data"),
            )
            if options.get("ssl_certfile"):
                context.load_cert_chain(
                    options["ssl_certfile"],
                    options.get("ssl_keyfile"),
                    options.get("ssl_password"),
                )
        except (OSError, tls.SSLError, ValueError) as exc:
            raise ConfigurationError(f"cannot set up TLS: {exc}") from exc
        reqs = options.get("ssl_cert_reqs")
        check = options.get("ssl_check_hostname")
        if check is not None:
            context.check_hostname = bool(check)
        if reqs is not None:
            mode = reqs if isinstance(reqs, tls.VerifyMode) else _CERT_REQS[reqs]
            if mode != tls.CERT_REQUIRED:
                context.check_hostname = False
            context.verify_mode = mode
        return context

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
