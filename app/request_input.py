"""What the application accepts from a request before any view reads it.

Hostile input must end in a 4xx, never in a 5xx deep inside a query or the JSON decoder:
- integers in paths (``<int:id>``) and in query strings or forms (``request.args.get(..., type=int)``) are
  bounded to the range of an INTEGER column; a larger one does not match the route (404) or reads as absent,
  exactly like ``page=abc`` (a number that big names no row and no page);
- a NUL character anywhere in the path, the query string, a form field or a JSON string is refused with 400
  (PostgreSQL cannot store it, and no field of ours has a use for it);
- JSON nested deeper than the decoder can follow is a malformed body (400), not a RecursionError.
"""
from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

# The largest value of a 32-bit INTEGER column (ids); also far beyond any page, year or count a user asks for.
INT_MAX = 2**31 - 1
NUL_MESSAGE = "请求中含有不允许的字符（NUL）"


def bounded_int(value) -> int:
    """``int(value)``, raising ValueError outside ±INT_MAX (so werkzeug's ``type=int`` falls back to the default)."""
    number = int(value)
    if not -INT_MAX <= number <= INT_MAX:
        raise ValueError("integer out of range")
    return number


class BoundedIntConverter(IntegerConverter):
    """``<int:name>`` that matches only ids an INTEGER column can hold (a bigger one is a 404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = INT_MAX,
                 signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class _BoundedInts:
    """``get(..., type=int)`` and ``getlist(..., type=int)`` read through :func:`bounded_int`."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key, type=None):
        return super().getlist(key, bounded_int if type is int else type)


class BoundedArgs(_BoundedInts, ImmutableMultiDict):
    """Query-string or form values with bounded integers."""


class BoundedValues(_BoundedInts, CombinedMultiDict):
    """``request.values`` (query string and form together) with bounded integers."""


class BoundedRequest(Request):
    """The application's request class: bounded integers in ``args``, ``form`` and ``values``."""

    parameter_storage_class = BoundedArgs

    @cached_property
    def values(self):
        return BoundedValues(super().values.dicts)


class GuardedJSONProvider(DefaultJSONProvider):
    """JSON bodies: too deep a nesting and NUL characters are malformed input (ValueError → 400)."""

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if _contains_nul(data):
            raise ValueError("NUL character in JSON")
        return data


def _contains_nul(data) -> bool:
    # Iterative: the decoder accepted this depth, a recursive walk might not.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def refuse_nul() -> None:
    """400 for a NUL character in the path, the query string or a form field (before any view runs)."""
    values = [*(request.view_args or {}).values(), request.path]
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            values.extend((key, value))
    if any(isinstance(value, str) and "\x00" in value for value in values):
        abort(400, NUL_MESSAGE)
    for storage in request.files.values():
        if "\x00" in (storage.filename or ""):
            abort(400, NUL_MESSAGE)


def init_app(app: Flask) -> None:
    """Install the bounded request, converter and JSON provider; call before blueprints are registered."""
    app.request_class = BoundedRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = GuardedJSONProvider(app)
    app.before_request(refuse_nul)
