"""OpenAPI links: an answer that carries an id (``job_id``, ``webhook.webhook_id``…) links to
every operation whose path takes that id, so a client generator (and schemathesis's
stateful phase) can follow a created thing to what reads, changes and deletes it."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.openapi.spec import Components, Link, OpenAPIResponse, Reference, Schema

METHODS = ("get", "put", "post", "delete", "patch")
_PARAMETER = re.compile(r"\{([a-z_]+_id)\}")


def _component(schema: object, components: Components | None) -> Schema | None:
    if isinstance(schema, Reference) and components and components.schemas:
        found = components.schemas.get(schema.ref.rsplit("/", 1)[1])
        return found if isinstance(found, Schema) else None
    return schema if isinstance(schema, Schema) else None


def _ids(schema: object, components: Components | None) -> dict[str, str]:
    """The ids an answer of ``schema`` carries (its own, and one level down), each with the
    JSON pointer that reads it."""
    found: dict[str, str] = {}
    resolved = _component(schema, components)
    for name, inner in ((resolved.properties or {}) if resolved else {}).items():
        if name.endswith("_id"):
            found.setdefault(name, f"/{name}")
            continue
        nested = _component(inner, components)
        for inner_name in (nested.properties or {}) if nested else {}:
            if inner_name.endswith("_id"):
                found.setdefault(inner_name, f"/{name}/{inner_name}")
    return found


def document_links(app: Litestar) -> None:
    """Add the links to ``app``'s OpenAPI document (at start-up, once)."""
    schema = app.openapi_schema
    targets: list[tuple[str, list[str]]] = []  # (operation id, the ids its path takes)
    for path, item in (schema.paths or {}).items():
        wanted = _PARAMETER.findall(path)
        for method in METHODS:
            operation = getattr(item, method, None)
            if wanted and operation is not None and operation.operation_id:
                targets.append((operation.operation_id, wanted))
    for item in (schema.paths or {}).values():
        for method in ("post", "put"):
            operation = getattr(item, method, None)
            for status, response in ((operation.responses or {}) if operation else {}).items():
                if not status.startswith("2") or not isinstance(response, OpenAPIResponse):
                    continue
                media = (response.content or {}).get("application/json")
                ids = _ids(media.schema if media else None, schema.components)
                links: dict[str, Link | Reference] = {
                    target: Link(
                        operation_id=target,
                        parameters={name: f"$response.body#{ids[name]}" for name in wanted},
                    )
                    for target, wanted in targets
                    if all(name in ids for name in wanted)
                }
                if links:
                    response.links = {**(response.links or {}), **links}
