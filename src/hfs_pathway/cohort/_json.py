"""JSON in and out of the cohort run: orjson when installed (the ``cohort`` extra), else the standard library.

Both give the same bytes for the library's output (compact separators, UTF-8, keys in insertion order, no
floats written differently), so the files a run writes do not depend on which one was used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _std_dumps(value: Any) -> bytes:
    return _json_dumps(value).encode()


dumps: Callable[[Any], bytes]
loads: Callable[[bytes], Any]
try:
    import orjson
except ImportError:  # pragma: no cover - the cohort extra installs it; the fallback is tested by forcing it
    dumps, loads = _std_dumps, json.loads
    FAST = False
else:
    dumps, loads = orjson.dumps, orjson.loads
    FAST = True


def use_standard_library() -> None:
    """Use the standard ``json`` module even when orjson is installed (for tests and comparisons)."""
    global dumps, loads, FAST
    dumps, loads, FAST = _std_dumps, json.loads, False
