"""Every text a request body carries has a length limit, every number a range: walked over
the very types the gateway's handlers decode their bodies into."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import msgspec.inspect as mi

from services.gateway.app import create_http_app


def _unbounded(info: mi.Type, at: str, seen: set[type]) -> list[str]:
    if isinstance(info, mi.StrType):
        return [] if info.max_length is not None or info.pattern is not None else [at]
    if isinstance(info, mi.IntType | mi.FloatType):
        has_max = info.le is not None or info.lt is not None
        return [] if has_max else [at]
    if isinstance(info, mi.StructType | mi.DataclassType):
        if info.cls in seen:
            return []
        return [
            found
            for field in info.fields
            for found in _unbounded(field.type, f"{at}.{field.name}", seen | {info.cls})
        ]
    if isinstance(info, mi.UnionType):
        return [found for option in info.types for found in _unbounded(option, at, seen)]
    if isinstance(info, mi.ListType | mi.TupleType | mi.VarTupleType | mi.SetType):
        items = getattr(info, "item_type", None)
        return _unbounded(items, f"{at}[]", seen) if items is not None else []
    if isinstance(info, mi.DictType):
        return _unbounded(info.key_type, f"{at}{{key}}", seen) + _unbounded(
            info.value_type, f"{at}{{}}", seen
        )
    return []  # bools, literals, none, and Any (bounded by its own check: see runs.py)


def request_bodies() -> dict[str, Any]:
    app = create_http_app(MagicMock())
    bodies = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None:
                bodies[f"{'/'.join(sorted(handler.http_methods))} {route.path}"] = data.annotation
    return bodies


def test_every_text_and_number_in_a_request_body_is_bounded() -> None:
    bodies = request_bodies()
    assert len(bodies) >= 20  # every handler with a body was found
    unbounded = [
        found
        for where, body in bodies.items()
        for found in _unbounded(mi.type_info(body), where, set())
    ]
    assert unbounded == []
