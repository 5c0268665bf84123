"""One error shape for every answer that is not a success: RFC 9457 problem details, and
the OpenAPI document says so for every operation.

``{"type", "title", "status", "detail"}``, plus ``errors`` (each with ``field``, ``source``
and ``message``) for a request that failed validation. A failure of our own is a 500 that
names no internals: the stack trace goes to the logs, never to the client.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from services.gateway.api.inputs import in_words

log = logging.getLogger("tunebridge.gateway")
EMPTY_BODY = "the request body is empty: this request takes a JSON object"


def _errors(extra: Any) -> list[dict[str, Any]]:
    """Validation errors with the field each one is about."""
    if not isinstance(extra, list):
        return []
    return [_error(item) for item in extra if isinstance(item, dict)]


def _error(item: dict[str, Any]) -> dict[str, Any]:
    field, message = item.get("key"), item.get("message")
    if field == "data" and message == "'data'":
        # How Litestar words a body that is not there at all: its parameter's name.
        return {"field": None, "source": "body", "message": EMPTY_BODY}
    return {
        "field": field,
        "source": item.get("source"),
        "message": in_words(message) if isinstance(message, str) else message,
    }


def _from_http(error: HTTPException) -> ProblemDetailsException:
    fields: dict[str, Any] = {}
    detail = error.detail
    if errors := _errors(error.extra):
        fields["errors"] = errors
        if any(e["message"] == EMPTY_BODY for e in errors):
            detail = EMPTY_BODY
    elif isinstance(error.extra, dict):
        fields.update(error.extra)
    return ProblemDetailsException(
        status_code=error.status_code,
        title=HTTPStatus(error.status_code).phrase,
        detail=detail,
        type_="about:blank",
        headers=error.headers,
        extra=fields or None,
    )


def _from_anything(error: Exception) -> ProblemDetailsException:
    if isinstance(error, HTTPException):
        return _from_http(error)
    log.exception("unhandled error in a request", exc_info=error)
    return ProblemDetailsException(
        status_code=500,
        title=HTTPStatus(500).phrase,
        detail="something went wrong on our side; the logs say what",
        type_="about:blank",
    )


def problem_details() -> ProblemDetailsPlugin:
    """The plugin that answers every error as problem details."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                HTTPException: _from_http,
                Exception: _from_anything,
            }
        )
    )


_PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    required=["status", "title"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "field": Schema(
                        one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]
                    ),
                    "source": Schema(
                        one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]
                    ),
                    "message": Schema(
                        one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]
                    ),
                },
            ),
        ),
    },
)


def document_problems(app: Litestar) -> None:
    """Every operation's error answers, in the OpenAPI document: problem details for any
    status it does not describe itself (``default``), and for its validation errors."""
    problem = OpenAPIMediaType(schema=_PROBLEM)
    for path in (app.openapi_schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            responses["default"] = OpenAPIResponse(
                description="An error, as RFC 9457 problem details",
                content={ProblemDetailsException._PROBLEM_DETAILS_MEDIA_TYPE: problem},
            )
            if "400" in responses and isinstance(responses["400"], OpenAPIResponse):
                responses["400"].content = {
                    ProblemDetailsException._PROBLEM_DETAILS_MEDIA_TYPE: problem
                }
            operation.responses = responses
