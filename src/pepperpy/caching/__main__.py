"""``python -m pepperpy.caching``: see :mod:`pepperpy.caching.cli`."""

from __future__ import annotations

import sys

from .cli.__main__ import main

sys.exit(main())
