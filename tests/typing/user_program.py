"""A user's program, read by mypy --strict and pyright (tests/typing/test_type_checkers.py).

What it must be able to write about ``@cached``, checked with ``assert_type``; and, in
``mistakes``, what a type checker must report: each of those lines carries the ignore
comment of both checkers, and both are told to report an ignore comment that is not
needed, so a mistake that stops being reported fails the test. The program runs too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, assert_type

import trio

from pepperpy.caching import Cache, MemoryCache, RedisCache, cached

store = MemoryCache()


@cached(Cache(store, namespace="users"), ttl=60)
async def fetch_user(user_id: int, *, field: str = "name") -> dict[str, str]:
    return {"id": str(user_id), field: f"user {user_id}"}


# Strict pyright wants every parameter's type known, and a lambda's cannot be written:
# there, key= takes a def with annotated parameters.
@cached(store, key=lambda user_id: f"user:{user_id}")  # pyright: ignore[reportUnknownLambdaType, reportUnknownArgumentType]
async def by_key_function(user_id: int) -> str:
    return f"user {user_id}"


def avatar_key(user_id: int) -> str:
    return f"user:{user_id}:avatar"


@cached(store, key=avatar_key)
async def by_typed_key_function(user_id: int) -> bytes:
    return b"png"


@cached(store, key="user:{user_id}:avatar")
async def by_template(user_id: int) -> bytes:
    return b"png"


class Repo:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @cached(store, key="{self.tenant}:profile:{user_id}")
    async def profile(self, user_id: int) -> str:
        return f"{self.tenant}/{user_id}"

    @cached(store)
    @classmethod
    async def default(cls, tenant: str) -> Repo:
        return cls(tenant)

    @cached(store)
    @staticmethod
    async def double(n: int) -> int:
        return 2 * n


async def on_asyncio() -> None:
    task = asyncio.create_task(fetch_user(1))
    assert_type(await task, dict[str, str])
    assert_type(await fetch_user(1, field="email"), dict[str, str])
    assert_type(await by_key_function(2), str)
    assert_type(await by_template(user_id=3), bytes)
    assert_type(await by_typed_key_function(3), bytes)
    assert_type(fetch_user.key_for(1, field="email"), str)
    assert_type(await fetch_user.invalidate(1), bool)
    assert_type(await fetch_user.__wrapped__(1), dict[str, str])

    repo = Repo("acme")
    assert_type(await repo.profile(1), str)
    assert_type(await Repo.profile(repo, 1), str)
    assert_type(repo.profile.key_for(user_id=1), str)
    assert_type(await repo.profile.invalidate(1), bool)
    assert_type(await Repo.default("acme"), Repo)
    assert_type(await repo.default("acme"), Repo)
    assert_type(await Repo.default.invalidate("acme"), bool)
    assert_type(await Repo.double(2), int)
    assert_type(Repo.double.key_for(2), str)


@dataclass
class User:
    name: str


users = MemoryCache[User](max_size=100)
user_view = Cache(users, namespace="users")
remote_users: RedisCache[User] = RedisCache(url="redis://localhost:1")  # connects on use


@cached(users, ttl=60, lock=True, early_refresh=1.0, stale_ttl=30)
async def load_user(user_id: int) -> User:
    return User(f"user {user_id}")


async def typed_caches() -> None:
    await users.set("1", User("ada"))
    assert_type(await users.get("1"), User | None)
    assert_type(await users.get("1", User("nobody")), User)
    assert_type(await users.get("1", 0), User | int)
    assert_type(user_view, Cache[User])
    assert_type(await user_view.get("1"), User | None)
    loaded = await users.get_or_set("2", lambda: User("bob"), ttl=5, stale_ttl=5)
    assert_type(loaded, User)
    assert_type(await load_user(3), User)
    task = asyncio.create_task(load_user(4))
    assert_type(await task, User)
    untyped = MemoryCache()
    assert_type(await untyped.get("k"), Any | None)


async def remote_reads() -> None:  # type-checked only: no server listens there
    assert_type(await remote_users.get("1"), User | None)
    assert_type(await remote_users.get("1", "none"), User | str)


async def mistakes() -> None:
    await users.set("1", "not a user")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await user_view.set("1", 3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await fetch_user("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await fetch_user(1, "email")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    fetch_user.key_for(1, colour="red")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await fetch_user.invalidate()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await Repo("acme").profile("1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await Repo.default(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    name: int = await by_template(1)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(name)


def run() -> None:
    asyncio.run(on_asyncio())
    asyncio.run(typed_caches())
    asyncio.run(fetch_user(4))
    trio.run(fetch_user, 5)
    trio.run(Repo.double, 6)


if __name__ == "__main__":
    run()
