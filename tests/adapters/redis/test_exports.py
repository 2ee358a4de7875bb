"""RedisCache and DistributedCache load lazily: importing the package never imports redis."""

from __future__ import annotations

import subprocess
import sys

import pepperpy.caching


def test_importing_the_package_does_not_import_redis() -> None:
    code = (
        "import sys, pepperpy.caching, pepperpy.caching.core.remote\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
        "cls = pepperpy.caching.RedisCache\n"
        "assert 'redis' in sys.modules and cls.__name__ == 'RedisCache'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": ":".join(sys.path)})


def test_names_are_exported() -> None:
    assert "RedisCache" in pepperpy.caching.__all__
    assert "DistributedCache" in pepperpy.caching.__all__
    assert issubclass(pepperpy.caching.RedisCache, pepperpy.caching.DistributedCache)
    assert issubclass(pepperpy.caching.DistributedCache, pepperpy.caching.CacheBackend)
