"""JSON from outside (request bodies, WebSocket frames, Telegram's signed fields): parsed with two limits.

`json.loads` accepts two things the rest of the stack cannot handle, and both used to end in a 500:
- a lone surrogate (`"\\ud800"`, legal as a JSON escape) in a key or a value: it cannot be encoded as
  UTF-8, so the first thing that writes it (a throttle's cache key, a query, the JSON renderer
  echoing an "unknown field" back) raised `UnicodeEncodeError`;
- deep nesting (`[[[[…]]]]` 10,000 levels is 20 KB): the decoder itself raises `RecursionError`, and a
  value just under Python's limit would still blow up whatever walks it next.
`loads` refuses both with `UnsafeJSON`, a `ValueError`, so callers that already catch a parse error
(`except ValueError`) handle these too. The DRF parser (core/parsers.py) uses `check` on what it parsed.
"""

import json
import re
from typing import Any

# Deeper than any body the API defines (a plan's exercises inside a plan is 3) by a wide margin.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnsafeJSON(ValueError):
    """Well-formed JSON the server refuses to process."""


def _surrogate_error(text: str) -> str | None:
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return f"a string holds a lone surrogate (U+{ord(found.group()):04X}); text must be valid Unicode."


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """Return `value` (parsed JSON) unchanged, or raise `UnsafeJSON` naming the first problem found."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if error := _surrogate_error(item):
                raise UnsafeJSON(error)
        elif isinstance(item, (dict, list)):
            if depth > max_depth:
                raise UnsafeJSON(f"nested deeper than {max_depth} levels.")
            if isinstance(item, dict):
                for key, member in item.items():
                    stack.append((key, depth))
                    stack.append((member, depth + 1))
            else:
                stack.extend((member, depth + 1) for member in item)
    return value


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """`json.loads`, refusing lone surrogates and nesting deeper than `max_depth` with `UnsafeJSON`."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise UnsafeJSON(f"nested deeper than {max_depth} levels.") from None
    return check(value, max_depth=max_depth)
