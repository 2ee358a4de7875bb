"""Names that need an extra load on first use; the package itself imports none of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": SRC})


def test_importing_the_package_loads_neither_numpy_nor_hnswlib() -> None:
    run(
        "import sys, pepperpy.caching as c\n"
        "assert 'numpy' not in sys.modules and 'hnswlib' not in sys.modules\n"
        "assert 'VectorCache' in c.__all__ and 'SimilarityResult' in c.__all__\n"
        "assert c.VectorCache.__name__ == 'VectorCache'\n"
        "assert c.SimilarityResult._fields == ('key', 'score', 'metadata')\n"
    )


def test_the_core_loads_the_vector_dependencies_only_for_vectors() -> None:
    run(
        "import sys, pepperpy.caching.core\n"
        "assert not {'numpy', 'hnswlib'} & set(sys.modules)\n"
        "import pepperpy.caching.core.vectors\n"
        "assert {'numpy', 'hnswlib'} <= set(sys.modules)\n"
    )


def test_a_missing_extra_is_named() -> None:
    run(
        "import sys\n"
        "sys.modules['hnswlib'] = None  # as if the extra were not installed\n"
        "import pepperpy.caching as c\n"
        "try:\n"
        "    c.VectorCache\n"
        "except ImportError as exc:\n"
        "    assert \"'vector' extra\" in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
    )


def blocked(*modules: str) -> str:
    """Code that makes ``modules`` unimportable, as if their extra were not installed."""
    return "".join(f"sys.modules[{name!r}] = None\n" for name in modules)


def test_numpy_serializer_needs_numpy_but_not_hnswlib() -> None:
    run(
        "import sys\n" + blocked("hnswlib") + "import numpy as np\n"
        "from pepperpy.caching import NumpySerializer\n"
        "array = np.arange(6, dtype=np.int32).reshape(2, 3)\n"
        "assert (NumpySerializer().loads(NumpySerializer().dumps(array)) == array).all()\n"
    )
    run(
        "import sys\n" + blocked("numpy") + "import pepperpy.caching as c\n"
        "try:\n"
        "    c.NumpySerializer\n"
        "except ImportError as exc:\n"
        "    assert \"pip install 'pepperpy-caching[numpy]'\" in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
    )


def test_the_numpy_extra_is_numpy_alone_and_vector_includes_it() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(SRC).parent / "pyproject.toml").read_text("utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    assert [spec.split(">")[0] for spec in extras["numpy"]] == ["numpy"]
    assert "pepperpy-caching[numpy]" in extras["vector"]


def test_the_testing_helpers_without_hypothesis_name_the_testing_extra() -> None:
    for statement in (
        "import pepperpy.caching.testing.strategies",
        "import pepperpy.caching.testing.stateful",
        "from pepperpy.caching.testing import cache_keys",
        "from pepperpy.caching.testing import CacheEngineMachine",
    ):
        run(
            "import sys\n" + blocked("hypothesis") + "try:\n"
            f"    {statement}\n"
            "except ImportError as exc:\n"
            "    assert type(exc) is ImportError, type(exc)\n"
            "    assert \"pip install 'pepperpy-caching[testing]'\" in str(exc), exc\n"
            "else:\n"
            "    raise AssertionError('no ImportError')\n"
            # what needs only the standard library still works
            "from pepperpy.caching.testing import CacheModel, LRUModel, replay\n"
        )
