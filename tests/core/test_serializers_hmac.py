"""The precomputed HMAC-SHA256 gives exactly the standard library's tags."""

from __future__ import annotations

import hmac

from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import PickleSerializer
from pepperpy.caching.core.serializers._hmac_sha256 import HmacSha256


@given(st.binary(max_size=200), st.lists(st.binary(max_size=300), max_size=4))
def test_tags_equal_hmac_digest(key: bytes, parts: list[bytes]) -> None:
    assert HmacSha256(key).tag(*parts) == hmac.digest(key, b"".join(parts), "sha256")


@given(st.binary(min_size=63, max_size=66))
def test_keys_around_the_block_size(key: bytes) -> None:
    assert HmacSha256(key).tag(b"m") == hmac.digest(key, b"m", "sha256")


def test_a_tag_can_be_computed_again_and_over_memoryviews() -> None:
    mac = HmacSha256(b"Q" * 32)
    assert mac.tag(b"abc") == mac.tag(b"abc") == mac.tag(memoryview(b"xabc")[1:])
    assert "Q" not in repr(mac)


def test_pickle_signatures_are_standard_hmac_sha256_over_everything_before_them() -> None:
    secret = b"s" * 40
    data = PickleSerializer(secret).dumps({"a": 1})
    assert data[-32:] == hmac.digest(secret, data[:-32], "sha256")
