"""RedisCache and DistributedCache load lazily; neither needs redis-py to work."""

from __future__ import annotations

import subprocess
import sys

import pepperpy.caching


def test_importing_the_package_does_not_import_redis() -> None:
    """Not even RedisCache imports redis-py: the protocol is the library's own (redis-py
    is imported only to read a ``client=`` given to a cache)."""
    code = (
        "import sys, pepperpy.caching, pepperpy.caching.core.remote\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
        "assert 'hiredis' not in sys.modules, 'hiredis imported'\n"
        "cls = pepperpy.caching.RedisCache\n"
        "assert cls.__name__ == 'RedisCache' and 'hiredis' in sys.modules\n"
        "cache = cls('127.0.0.1', 1, namespace='n')\n"
        "assert 'redis' not in sys.modules, 'redis imported by RedisCache'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": ":".join(sys.path)})


def test_names_are_exported() -> None:
    assert "RedisCache" in pepperpy.caching.__all__
    assert "DistributedCache" in pepperpy.caching.__all__
    assert issubclass(pepperpy.caching.RedisCache, pepperpy.caching.DistributedCache)
    assert issubclass(pepperpy.caching.DistributedCache, pepperpy.caching.CacheBackend)
