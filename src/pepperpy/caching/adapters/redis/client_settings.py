"""Reading a redis-py client for its connection settings only.

``RedisCache(client=...)`` accepts ``redis.Redis``, ``redis.asyncio.Redis`` and
their cluster classes. The cache never sends anything through the client: it reads
where the client connects (host and port, unix socket or cluster startup nodes), as
whom (username, password), to which database, with which TLS settings and client
name, and opens its own connections. redis-py is imported here only, and only when a
client is given.
"""

from __future__ import annotations

from typing import Any, Final

from ...core.errors import ConfigurationError
from .options import TLS_OPTIONS

__all__ = ("client_secrets", "settings_from_client")

_PASSED_ON: Final = (*TLS_OPTIONS, "client_name", "socket_keepalive")
"""The client's connection settings that keep their meaning here."""


def _client_kind(client: object) -> str:
    try:
        import redis
        import redis.asyncio
        import redis.asyncio.cluster
        import redis.cluster
    except ImportError:  # without redis-py, nothing can be a redis-py client
        return ""
    if isinstance(client, redis.cluster.RedisCluster | redis.asyncio.cluster.RedisCluster):
        return "cluster"
    if isinstance(client, redis.Redis | redis.asyncio.Redis):
        return "single"
    return ""


def _connection_kwargs(client: Any, kind: str) -> tuple[dict[str, Any], str]:
    """The client's connection keyword arguments, and the name of its connection class."""
    if kind == "single":
        pool = client.connection_pool
        return dict(pool.connection_kwargs), pool.connection_class.__name__
    kwargs = getattr(client, "connection_kwargs", None)  # redis.asyncio.cluster
    if kwargs is None:
        kwargs = client.nodes_manager.connection_kwargs  # redis.cluster
    kwargs = dict(kwargs)
    connection_class = kwargs.get("connection_class")
    name = getattr(connection_class, "__name__", "")
    if kwargs.get("ssl"):
        name = "SSLConnection"
    return kwargs, name


def settings_from_client(client: object) -> dict[str, Any]:
    """Keyword arguments for :class:`~.options.RedisOptions` read from ``client``."""
    kind = _client_kind(client)
    if not kind:
        raise ConfigurationError(
            "client must be a redis.Redis, redis.cluster.RedisCluster, redis.asyncio.Redis"
            f" or redis.asyncio.cluster.RedisCluster; got {type(client).__name__}"
        )
    kwargs, connection_class = _connection_kwargs(client, kind)
    if kwargs.get("credential_provider") is not None:
        raise ConfigurationError(
            "the client uses a credential provider, which RedisCache cannot read:"
            " give username= and password= instead"
        )
    settings: dict[str, Any] = {
        "password": kwargs.get("password"),
        "username": kwargs.get("username"),
    }
    options = {name: kwargs[name] for name in _PASSED_ON if kwargs.get(name) is not None}
    if kwargs.get("protocol") in (2, 3, "2", "3"):
        options["protocol"] = int(kwargs["protocol"])
    if "SSL" in connection_class:
        settings["ssl"] = True
    else:
        options = {k: v for k, v in options.items() if not k.startswith("ssl_")}
    if kind == "cluster":
        nodes = client.nodes_manager.startup_nodes.values()  # type: ignore[attr-defined]
        settings["cluster"] = True
        settings["startup_nodes"] = tuple((node.host, int(node.port)) for node in nodes)
    elif "path" in kwargs and "UnixDomain" in connection_class:
        settings["url"] = f"unix://{kwargs['path']}?db={int(kwargs.get('db') or 0)}"
    else:
        settings["host"] = kwargs.get("host") or "localhost"
        settings["port"] = int(kwargs.get("port") or 6379)
        settings["db"] = int(kwargs.get("db") or 0)
    settings["connection_options"] = options
    return settings


def client_secrets(settings: dict[str, Any]) -> tuple[str, ...]:
    """The password the client held, so messages can mask it."""
    password = settings.get("password")
    return (password,) if isinstance(password, str) and password else ()
