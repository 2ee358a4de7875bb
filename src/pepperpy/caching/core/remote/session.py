"""Connection setup as a plan: HELLO 3 (RESP2 as the fallback), AUTH, SELECT, names,
and client-side caching.

Every new connection runs :func:`handshake` before carrying any other command. It
tries ``HELLO 3`` (with ``AUTH`` and ``SETNAME`` folded in) pipelined with ``SELECT``
and ``CLIENT TRACKING``; a server that does not know HELLO, or refuses protocol 3,
gets the RESP2 sequence instead (``AUTH``, ``SELECT``, ``CLIENT SETNAME``, ``CLIENT
ID``). The result, a :class:`Session`, says which protocol was agreed and the
connection's client id (what ``CLIENT TRACKING ... REDIRECT`` needs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, final

from ..errors import BackendError
from ..resp import Command, ErrorReply, Reply, encode_command
from .plans import ANY, Rounds, RoundsGenerator, Step

__all__ = ("Session", "SessionSettings", "Tracking", "handshake")

_FALLBACK_CODES: Final = frozenset({"NOPROTO"})


@final
@dataclass(frozen=True, slots=True)
class Tracking:
    """``CLIENT TRACKING on`` for a near cache (server-assisted client-side caching).

    ``bcast`` with ``prefixes`` asks for every change under those prefixes;
    otherwise the server remembers what this connection read. ``redirect`` sends the
    invalidations to another connection (the client id of a RESP2 connection
    subscribed to ``__redis__:invalidate``); ``noloop`` leaves out changes made by
    this connection itself.
    """

    bcast: bool = False
    prefixes: tuple[bytes, ...] = ()
    redirect: int | None = None
    noloop: bool = False

    def __post_init__(self) -> None:
        if self.prefixes and not self.bcast:
            raise ValueError("tracking prefixes need bcast=True")

    def command(self) -> Command:
        """The ``CLIENT TRACKING`` command."""
        args: list[bytes | int] = [b"CLIENT", b"TRACKING", b"on"]
        if self.redirect is not None:
            args += [b"REDIRECT", self.redirect]
        if self.bcast:
            args.append(b"BCAST")
            for prefix in self.prefixes:
                args += [b"PREFIX", prefix]
        if self.noloop:
            args.append(b"NOLOOP")
        return tuple(args)


@final
@dataclass(frozen=True, slots=True)
class SessionSettings:
    """What every connection of a cache is set up with.

    ``protocol`` is 3 (RESP3, falling back to RESP2 when the server cannot), or 2.
    The password is kept out of ``repr``.
    """

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    db: int = 0
    client_name: str | None = None
    protocol: Literal[2, 3] = 3
    tracking: Tracking | None = None


@final
@dataclass(frozen=True, slots=True)
class Session:
    """What the handshake agreed: the protocol, the connection's client id, and what
    the server said about itself (``HELLO``'s map; empty on RESP2)."""

    protocol: Literal[2, 3]
    client_id: int | None
    server: dict[str, Reply] = field(default_factory=dict)


def _auth_args(settings: SessionSettings) -> list[bytes | str]:
    if settings.password is None:
        return []
    return [settings.username or "default", settings.password]


def _after_hello(settings: SessionSettings) -> list[Command]:
    commands: list[Command] = []
    if settings.db:
        commands.append((b"SELECT", settings.db))
    if settings.tracking is not None:
        commands.append(settings.tracking.command())
    return commands


def _steps(commands: Sequence[Command]) -> list[Step]:
    return [Step(encode_command(command), ANY) for command in commands]


def _check(replies: Sequence[Reply], commands: Sequence[Command]) -> None:
    for reply, command in zip(replies, commands, strict=True):
        if type(reply) is ErrorReply:
            name = b" ".join(a for a in command[:2] if isinstance(a, bytes)).decode()
            raise BackendError(f"connection setup ({name}) failed: {reply.message}")


def _wants_resp2(reply: ErrorReply) -> bool:
    message = reply.message.lower()
    return reply.code in _FALLBACK_CODES or "unknown command" in message


def _text_map(reply: Reply) -> dict[str, Reply]:
    if isinstance(reply, dict):
        return {k.decode() if isinstance(k, bytes) else str(k): v for k, v in reply.items()}
    if isinstance(reply, list) and len(reply) % 2 == 0:  # a RESP2-shaped HELLO reply
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): v
            for k, v in zip(reply[::2], reply[1::2], strict=True)
        }
    raise BackendError(f"unexpected HELLO reply: {reply!r:.200}")


def _handshake(settings: SessionSettings) -> RoundsGenerator[Session]:
    if settings.protocol == 3:
        hello: list[bytes | str | int] = [b"HELLO", 3]
        auth = _auth_args(settings)
        if auth:
            hello += [b"AUTH", *auth]
        if settings.client_name is not None:
            hello += [b"SETNAME", settings.client_name]
        rest = _after_hello(settings)
        replies = yield _steps([tuple(hello), *rest])
        first = replies[0]
        if type(first) is not ErrorReply:
            _check(replies[1:], rest)
            server = _text_map(first)
            client_id = server.get("id")
            return Session(3, client_id if isinstance(client_id, int) else None, server)
        if not _wants_resp2(first):
            raise BackendError(f"connection setup (HELLO) failed: {first.message}")
    commands: list[Command] = []
    auth = _auth_args(settings)
    if auth:
        commands.append((b"AUTH", *auth) if settings.username else (b"AUTH", auth[1]))
    if settings.client_name is not None:
        commands.append((b"CLIENT", b"SETNAME", settings.client_name))
    commands += _after_hello(settings)
    commands.append((b"CLIENT", b"ID"))
    replies = yield _steps(commands)
    _check(replies[:-1], commands[:-1])
    client_id = replies[-1]  # an error reply on servers older than Redis 5: no id
    return Session(2, client_id if isinstance(client_id, int) else None)


def handshake(settings: SessionSettings) -> Rounds[Session]:
    """The setup plan of one connection (all of it is sent to that connection)."""
    return Rounds(_handshake(settings))
