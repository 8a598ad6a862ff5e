"""JSON through orjson: a result page of twenty works with their holdings is encoded several times
faster than by the standard library, which was a fifth of a search request's time."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    """Compact UTF-8 output, keys in the order the views built them; anything orjson does not know
    (lazy translated strings, dates already handled, sets) falls back to the standard `default`."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:       # a caller asking for particular options (indent, sort_keys) gets the standard encoder
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self._fallback, option=OPTIONS).decode()

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj, default=self._fallback, option=OPTIONS),
                                        mimetype=self.mimetype)

    @staticmethod
    def _fallback(value: Any) -> Any:
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        return DefaultJSONProvider.default(value)
