"""Suite-wide settings: hypothesis profiles and the async backends every test runs on."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from .adapters.redis.servers import RedisServer, free_port, redis_binaries

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``@pytest.mark.anyio`` test on asyncio and on trio."""
    return str(request.param)


# -- Redis servers the suite starts itself (used by adapter, migration and example tests)


def redis_binaries_or_skip() -> tuple[str, str]:
    found = redis_binaries()
    if found is None:
        if os.environ.get("PEPPERPY_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server/redis-cli not found, and PEPPERPY_REQUIRE_REDIS=1")
        pytest.skip("redis-server/redis-cli not found (set PEPPERPY_REQUIRE_REDIS=1 to fail)")
    return found


@pytest.fixture(scope="session")
def port_rng() -> random.Random:
    return random.Random(os.getpid())


@pytest.fixture(scope="session")
def redis_server(
    tmp_path_factory: pytest.TempPathFactory, port_rng: random.Random
) -> Iterator[RedisServer]:
    """One single-node server for the whole session."""
    server_bin, _ = redis_binaries_or_skip()
    server = RedisServer(server_bin, free_port(port_rng), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
