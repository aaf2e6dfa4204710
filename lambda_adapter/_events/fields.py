"""The field rules every translator applies, checked where a field is read (issue 15, SPEC 2):

- a part that is absent or ``null`` means its default (no headers, no query, an empty body...):
  hand-made and console test events leave parts out or send nulls;
- a part of the wrong type (a header value that is a number, ``requestContext`` that is a
  string) is a ``BadRequest`` (a 400) naming the field and the type, never the field's content;
- a part a recognised format cannot do without (the method) is an ``UnsupportedEvent`` naming
  the format and the key: ``missing``.

Invariant: pure (see ``lambda_adapter._events``).
"""

from __future__ import annotations

from .._errors import BadRequest, UnsupportedEvent
from .detect import NAMES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_EMPTY: dict[str, Any] = {}  # never written to: the default of an absent object


def wrong_type(where: str, value: object, expected: str) -> BadRequest:
    """The 400 for a field of the wrong type: its name and type, never its value (request data)."""
    return BadRequest(f"the event's {where} is {type(value).__name__}, not {expected}")


def object_at(container: Any, key: str, where: str) -> dict[str, Any]:
    """``container[key]`` when it is an object; an empty one when absent or null."""
    value = container.get(key)
    if type(value) is dict:
        return value
    if value is None:
        return _EMPTY
    raise wrong_type(where, value, "an object")


def str_at(container: Any, key: str, where: str) -> str | None:
    """``container[key]`` when it is a string; None when absent or null."""
    value = container.get(key)
    if value is None or type(value) is str:
        return value
    raise wrong_type(where, value, "a string")


def body_at(container: Any, key: str, flag: str) -> tuple[str | None, bool]:
    """The body string and its base64 flag, both checked."""
    body = container.get(key)
    if body is not None and type(body) is not str:
        raise wrong_type(key, body, "a string")
    is_base64 = container.get(flag)
    if is_base64 is None:
        return body, False
    if type(is_base64) is not bool:
        raise wrong_type(flag, is_base64, "true or false")
    return body, is_base64


def query_params(event: Any, *keys: str) -> dict[str, Any] | None:
    """The first non-empty of the query maps ``keys`` (every one checked to be an object), or None."""
    found = None
    for key in keys:
        params = event.get(key)
        if params is not None and type(params) is not dict:
            raise wrong_type(key, params, "an object")
        found = found or params
    return found


def missing(source: str, key: str) -> UnsupportedEvent:
    """The error for a recognised event without a part its format cannot do without."""
    name = NAMES[source]
    article = "an" if name[0] in "AEIOU" or name.startswith("HTTP") else "a"
    return UnsupportedEvent(f"looks like {article} {name} event but has no {key}")


def method_of(value: object, source: str, key: str) -> str:
    """The request method: required; a string that is not empty."""
    if value is None:
        raise missing(source, key)
    if type(value) is not str:
        raise wrong_type(key, value, "a string")
    if not value:
        raise BadRequest(f"the event's {key} is empty")
    return value
