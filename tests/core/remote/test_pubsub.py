"""The subscribe handshake, messages, and invalidations in both protocols."""

from __future__ import annotations

import pytest

from pepperpy.caching.core.errors import BackendError
from pepperpy.caching.core.remote.pubsub import (
    INVALIDATE_CHANNEL,
    PubSubMessage,
    SubscribeHandshake,
    invalidated_keys,
    pubsub_message,
)
from pepperpy.caching.core.resp import Push, encode_command


def test_the_handshake_waits_for_every_confirmation_and_keeps_early_messages() -> None:
    handshake = SubscribeHandshake([b"a", b"b"], [b"p.*"])
    assert handshake.payload == encode_command((b"SUBSCRIBE", b"a", b"b")) + encode_command(
        (b"PSUBSCRIBE", b"p.*")
    )
    handshake.feed(Push(b"subscribe", (b"a", 1)))
    handshake.feed(Push(b"message", (b"a", b"early")))  # published between the two
    handshake.feed(Push(b"subscribe", (b"b", 2)))
    assert not handshake.confirmed
    handshake.feed(Push(b"invalidate", ([b"k"],)))  # not a confirmation
    handshake.feed(Push(b"psubscribe", (b"p.*", 3)))
    assert handshake.confirmed
    assert handshake.early == [PubSubMessage(None, b"a", b"early")]
    with pytest.raises(ValueError, match="at least one"):
        SubscribeHandshake([], [])


def test_messages() -> None:
    assert pubsub_message(Push(b"message", (b"ch", b"d"))) == PubSubMessage(None, b"ch", b"d")
    assert pubsub_message(Push(b"pmessage", (b"p*", b"pa", b"d"))) == PubSubMessage(
        b"p*", b"pa", b"d"
    )
    assert pubsub_message(Push(b"subscribe", (b"ch", 1))) is None
    assert pubsub_message(Push(b"message", (INVALIDATE_CHANNEL, [b"k"]))) is None  # not user data


def test_invalidations_in_both_protocols() -> None:
    assert invalidated_keys(Push(b"invalidate", ([b"a", b"b"],))) == [b"a", b"b"]  # RESP3
    assert invalidated_keys(Push(b"message", (INVALIDATE_CHANNEL, [b"a"]))) == [b"a"]  # RESP2
    assert invalidated_keys(Push(b"invalidate", (None,))) == []  # flushed: everything
    assert invalidated_keys(Push(b"message", (b"other", b"x"))) is None
    with pytest.raises(BackendError):
        invalidated_keys(Push(b"invalidate", (b"notalist",)))
