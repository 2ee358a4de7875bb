"""One process of a stampede: many concurrent callers of one key, under the Redis lock.

Run as ``python stampede_worker.py PORT NAMESPACE CALLERS BACKEND LEASE``. It waits
for the key ``go`` (so that every process starts together), then prints the values
its callers got, as JSON. The loader counts its runs in the key ``loads``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio

from pepperpy.caching.adapters.redis import RedisCache


async def main(port: int, namespace: str, callers: int, lease: float) -> None:
    async with RedisCache("127.0.0.1", port, namespace=namespace, lock_lease=lease) as cache:
        for _ in range(30_000):  # every process starts at once, when "go" is set
            if await cache.get("go") is not None:
                break
            await anyio.sleep(0.002)
        results: list[Any] = []

        async def load() -> dict[str, int]:
            await cache.incr("loads")
            await anyio.sleep(3 * lease)  # longer than the lease: renewals keep it
            return {"pid": os.getpid()}

        async def caller() -> None:
            results.append(await cache.get_or_set("report", load, ttl=60, lock=True))

        async with anyio.create_task_group() as group:
            for _ in range(callers):
                group.start_soon(caller)
        print(json.dumps(results))


if __name__ == "__main__":
    port, namespace, callers, backend, lease = sys.argv[1:6]
    anyio.run(main, int(port), namespace, int(callers), float(lease), backend=backend)
