"""resolve_serializer, the exported names, and numpy staying optional."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pepperpy.caching
import pepperpy.caching.core.serializers as serializers
from pepperpy.caching import (
    BytesSerializer,
    ConfigurationError,
    JsonSerializer,
    PickleSerializer,
    Serializer,
    StringSerializer,
)
from pepperpy.caching.core import SERIALIZER_NAMES, resolve_serializer

SRC = Path(__file__).resolve().parents[2] / "src"


class Reversing:
    """A user's own serializer: anything with dumps and loads."""

    def dumps(self, obj: Any) -> bytes:
        return str(obj).encode()[::-1]

    def loads(self, data: bytes) -> Any:
        return data[::-1].decode()


def test_none_is_json() -> None:
    assert type(resolve_serializer(None)) is JsonSerializer


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("json", JsonSerializer),
        ("JSON", JsonSerializer),
        (" string ", StringSerializer),
        ("bytes", BytesSerializer),
        ("numpy", serializers.NumpySerializer),
    ],
)
def test_names(name: str, kind: type) -> None:
    assert type(resolve_serializer(name)) is kind


def test_every_listed_name_resolves() -> None:
    assert SERIALIZER_NAMES == ("json", "string", "bytes", "numpy")
    for name in SERIALIZER_NAMES:
        assert isinstance(resolve_serializer(name), Serializer)


def test_each_name_gives_a_fresh_serializer() -> None:
    assert resolve_serializer("json") is not resolve_serializer("json")


@pytest.mark.parametrize("given", [JsonSerializer(sort_keys=True), Reversing()])
def test_serializer_objects_are_used_as_given(given: Any) -> None:
    assert resolve_serializer(given) is given


def test_pickle_by_name_is_refused_with_the_way_to_do_it() -> None:
    with pytest.raises(ConfigurationError, match=r"pass PickleSerializer\(secret=\.\.\.\)"):
        resolve_serializer("Pickle")


def test_unknown_names_are_refused_listing_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="unknown serializer 'yaml'; choose one of json"):
        resolve_serializer("yaml")


@pytest.mark.parametrize("given", [JsonSerializer, PickleSerializer, Reversing])
def test_classes_are_refused(given: type) -> None:
    with pytest.raises(ConfigurationError, match=rf"not the class {given.__qualname__}; pass"):
        resolve_serializer(given)  # type: ignore[arg-type]


@pytest.mark.parametrize("given", [1, b"json", object(), {"dumps": None}])
def test_other_values_are_refused(given: object) -> None:
    with pytest.raises(ConfigurationError, match=f"got a value of type {type(given).__name__}"):
        resolve_serializer(given)  # type: ignore[arg-type]


def test_public_names_are_the_core_ones() -> None:
    for name in ("JsonSerializer", "PickleSerializer", "StringSerializer", "BytesSerializer"):
        assert getattr(pepperpy.caching, name) is getattr(serializers, name)
        assert name in pepperpy.caching.__all__
    assert pepperpy.caching.Serializer is serializers.Serializer
    assert pepperpy.caching.NumpySerializer is serializers.NumpySerializer


def test_unknown_attributes_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'YamlSerializer'"):
        serializers.YamlSerializer  # noqa: B018


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_importing_the_serializers_does_not_import_numpy() -> None:
    result = _run(
        "import sys\n"
        "import pepperpy.caching\n"
        "from pepperpy.caching.core.serializers import JsonSerializer\n"
        "assert 'numpy' not in sys.modules, 'numpy imported early'\n"
        "from pepperpy.caching import NumpySerializer\n"
        "assert 'numpy' in sys.modules\n"
    )
    assert result.returncode == 0, result.stderr


def test_without_numpy_the_failure_says_which_extra_to_install() -> None:
    result = _run(
        "import sys\n"
        "sys.modules['numpy'] = None\n"
        "import pepperpy.caching as c\n"
        "from pepperpy.caching.core import ConfigurationError, resolve_serializer\n"
        "assert c.JsonSerializer().loads(c.JsonSerializer().dumps([1])) == [1]\n"
        "try:\n"
        "    c.NumpySerializer\n"
        "except ImportError as exc:\n"
        "    assert \"'numpy' extra\" in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
        "try:\n"
        "    resolve_serializer('numpy')\n"
        "except ConfigurationError as exc:\n"
        "    assert 'pepperpy-caching[numpy]' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no ConfigurationError')\n"
    )
    assert result.returncode == 0, result.stderr
