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
