"""Plans: one cache operation as the commands to send and what their replies mean.

A plan is pure. It says which commands to send (encoded, each with where it must
go: a hash slot, a given node, or any node), and turns their replies into the
operation's result. Whoever runs it moves the bytes and follows cluster redirections;
the plan only ever sees each command's final reply, error replies included as values.

* :class:`Single` is one command and a function of its one reply: the hot path
  (``GET``, ``SET``, ``EXISTS``...).
* :class:`Rounds` drives a generator that yields rounds of :class:`Step` and is sent
  each round's replies, in order, until it returns the result: batches split per slot,
  cursor loops, connection setup.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Final, Generic, TypeAlias, TypeVar, final

from ..errors import BackendError
from ..resp import ErrorReply, Reply
from .topology import Address

__all__ = (
    "ANY",
    "Plan",
    "Rounds",
    "RoundsGenerator",
    "Single",
    "Step",
    "Target",
    "check_replies",
    "drive",
    "reply_error",
)

T = TypeVar("T")
"""What a plan returns."""

ANY: Final = -1
"""A target meaning "any node" (commands without a key, or a single server)."""

Target: TypeAlias = int | Address
"""Where a command goes, a hash slot (0-16383), :data:`ANY`, or a node's address."""


@final
class Step:
    """One command of a round: its encoded bytes and its target.

    ``retry_safe`` says whether the command may be sent again when it is unknown
    whether it ran (the connection broke after it was written): true for reads and
    for writes that land the same twice (``SET``, ``UNLINK``), false for ``INCRBY``.
    """

    __slots__ = ("payload", "retry_safe", "target")

    def __init__(self, payload: bytes, target: Target = ANY, *, retry_safe: bool = True) -> None:
        self.payload = payload
        self.target = target
        self.retry_safe = retry_safe

    def __repr__(self) -> str:
        return f"Step({self.payload[:40]!r}, target={self.target!r})"


@final
class Single(Generic[T]):
    """A plan of one command: ``finish(reply)`` is the result."""

    __slots__ = ("finish", "payload", "retry_safe", "target")

    def __init__(
        self,
        payload: bytes,
        target: Target,
        finish: Callable[[Reply], T],
        *,
        retry_safe: bool = True,
    ) -> None:
        self.payload = payload
        self.target = target
        self.finish = finish
        self.retry_safe = retry_safe

    def __repr__(self) -> str:
        return f"Single({self.payload[:40]!r}, target={self.target!r})"


RoundsGenerator: TypeAlias = Generator[list[Step], list[Reply], T]
"""A generator that yields rounds and is sent their replies, returning the result."""


@final
class Rounds(Generic[T]):
    """A plan of one or more rounds, driven by a generator (see :data:`RoundsGenerator`).

    ``whole`` says whether the caller's deadline covers the whole plan (the default)
    or each round on its own (a walk over a namespace of any size).
    """

    __slots__ = ("_generator", "_result", "whole")

    def __init__(self, generator: RoundsGenerator[T], *, whole: bool = True) -> None:
        self._generator = generator
        self._result: T | None = None
        self.whole = whole

    def start(self) -> list[Step] | None:
        """The first round (``None``: nothing to send, :meth:`result` is ready)."""
        return self._step(None)

    def advance(self, replies: list[Reply]) -> list[Step] | None:
        """Take the replies of the last round; the next round, or ``None`` when done."""
        return self._step(replies)

    def _step(self, replies: list[Reply] | None) -> list[Step] | None:
        try:
            steps = next(self._generator) if replies is None else self._generator.send(replies)
        except StopIteration as stop:
            self._result = stop.value
            return None
        if not steps:
            raise ValueError("a round needs at least one step")
        return steps

    def result(self) -> T:
        """What the plan returned (after :meth:`start`/:meth:`advance` said ``None``)."""
        return self._result  # type: ignore[return-value]

    def close(self) -> None:
        """Drop the plan before it finished (its caller gave up)."""
        self._generator.close()


Plan: TypeAlias = Single[T] | Rounds[T]
"""What every cache operation becomes."""


def reply_error(reply: ErrorReply, what: str) -> BackendError:
    """The ``BackendError`` for an error reply to ``what``."""
    return BackendError(f"{what}: Redis replied {reply.message}")


def check_replies(replies: Sequence[Reply], what: str) -> None:
    """The pipeline error rule: every reply is read first, then the first error reply
    (if any) fails the whole operation. Nothing is rolled back (no transaction)."""
    for reply in replies:
        if type(reply) is ErrorReply:
            raise reply_error(reply, what)


def drive(plan: Rounds[T], answer: Callable[[list[Step]], list[Reply]]) -> T:
    """Run ``plan`` synchronously, ``answer`` giving each round's replies (for tests
    and simulations: the scripted peer of a plan)."""
    steps = plan.start()
    while steps is not None:
        steps = plan.advance(answer(steps))
    return plan.result()
