"""Webhooks: endpoints that start sync runs when something happens elsewhere.

Managing them (``/api/v1/webhooks``) is for their owner; the inbound endpoint
(``/api/v1/hooks/{webhook_id}``) is for the sender, who proves itself with a signature
(generic) or the URL's token (Plex, Lidarr). A secret is shown once, when it is made.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    ServiceUnavailableException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.params import FromQuery, JSONBody, Parameter

from services.gateway.api.dependencies import Gateway
from services.gateway.api.inputs import EventName
from services.gateway.api.sync import start_run
from services.gateway.domain.webhooks import (
    DEFAULT_EVENTS,
    event_of,
    signature_problem,
    starts_runs,
)
from services.gateway.records import UserRecord, WebhookKind, WebhookRecord, webhook_key
from services.kernel.contracts import new_id, utcnow
from services.kernel.crypto import SecretBox
from services.kernel.records import (
    SyncJobRecord,
    job_key,
    key_token,
)

Id = Annotated[str, Parameter(pattern=r"^[0-9a-f]{32}$")]
JobId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]


class WebhookDocument(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A webhook: its ``kind`` (how senders prove themselves), the jobs it starts, and the
    events that start them (Plex: ``library.new`` by default; Lidarr: ``Download``)."""

    kind: Literal["generic", "plex", "lidarr"]
    job_ids: Annotated[list[JobId], msgspec.Meta(min_length=1, max_length=50)]
    events: Annotated[list[EventName], msgspec.Meta(max_length=20)] | None = None


class WebhookView(msgspec.Struct, kw_only=True):
    """A webhook as its owner sees it (never its secret)."""

    webhook_id: str
    kind: WebhookKind
    job_ids: list[str]
    events: list[str]
    url: str
    deliveries: int
    last_delivery_at: datetime | None
    created_at: datetime


class WebhookSecret(msgspec.Struct, kw_only=True):
    """A webhook with its secret, shown this once. Generic senders sign with it; for Plex
    and Lidarr it is already in ``url``."""

    webhook: WebhookView
    secret: str


class Delivered(msgspec.Struct, kw_only=True):
    """What a delivery started (nothing, with the reason, when its event starts nothing)."""

    started: list[str]
    ignored: str | None = None


def _box(gateway: Gateway) -> SecretBox:
    if gateway.box is None:
        raise ServiceUnavailableException(
            "webhook secrets cannot be stored: set TUNEBRIDGE_SECRETS__KEYS for the gateway"
        )
    return gateway.box


def _path(webhook_id: str) -> str:
    return f"/api/v1/hooks/{webhook_id}"


def _view(record: WebhookRecord) -> WebhookView:
    return WebhookView(
        webhook_id=record.webhook_id,
        kind=record.kind,
        job_ids=record.job_ids,
        events=record.events,
        url=_path(record.webhook_id) + ("" if record.kind == "generic" else "?token=…"),
        deliveries=record.deliveries,
        last_delivery_at=record.last_delivery_at,
        created_at=record.created_at,
    )


def _revealed(record: WebhookRecord, secret: str) -> WebhookSecret:
    view = _view(record)
    if record.kind != "generic":
        view.url = f"{_path(record.webhook_id)}?token={secret}"
    return WebhookSecret(webhook=view, secret=secret)


class WebhooksController(Controller):
    """Your webhooks."""

    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    async def _webhook(self, gateway: Gateway, webhook_id: str) -> WebhookRecord:
        found = await gateway.ctx.store.get(
            "webhooks", webhook_key(gateway.current_user(), webhook_id), WebhookRecord
        )
        if found is None:
            raise NotFoundException(f"no webhook {webhook_id}")
        return found

    @post("/", status_code=201, summary="Make a webhook (its secret is shown once)")
    async def create(
        self, gateway: NamedDependency[Gateway], data: JSONBody[WebhookDocument]
    ) -> WebhookSecret:
        box = _box(gateway)
        user_id = gateway.current_user()
        for job_id in data.job_ids:
            if await gateway.ctx.store.get("jobs", job_key(user_id, job_id), SyncJobRecord) is None:
                raise ValidationException(f"no job {job_id}")
        webhook_id, secret = new_id(), secrets.token_urlsafe(32)
        record = WebhookRecord(
            webhook_id=webhook_id,
            user_id=user_id,
            kind=data.kind,
            job_ids=list(dict.fromkeys(data.job_ids)),
            secret=box.encrypt(secret, context=webhook_id),
            events=data.events if data.events is not None else DEFAULT_EVENTS[data.kind],
        )
        await gateway.ctx.store.create("webhooks", webhook_key(user_id, webhook_id), record)
        return _revealed(record, secret)

    @get("/", summary="Your webhooks")
    async def list_webhooks(self, gateway: NamedDependency[Gateway]) -> list[WebhookView]:
        found = await gateway.ctx.store.values(
            "webhooks", f"{gateway.current_user()}.*", WebhookRecord
        )
        return [_view(w) for w in sorted(found, key=lambda w: w.created_at)]

    @post("/{webhook_id:str}/rotate", status_code=200, summary="A new secret; the old one stops")
    async def rotate(self, gateway: NamedDependency[Gateway], webhook_id: Id) -> WebhookSecret:
        box = _box(gateway)
        await self._webhook(gateway, webhook_id)
        secret = secrets.token_urlsafe(32)
        sealed = box.encrypt(secret, context=webhook_id)
        updated = await gateway.ctx.store.update(
            "webhooks",
            webhook_key(gateway.current_user(), webhook_id),
            WebhookRecord,
            lambda w: msgspec.structs.replace(w, secret=sealed),
        )
        if updated is None:
            raise NotFoundException(f"no webhook {webhook_id}")
        return _revealed(updated, secret)

    @delete("/{webhook_id:str}", status_code=204, summary="Delete a webhook")
    async def remove(self, gateway: NamedDependency[Gateway], webhook_id: Id) -> None:
        await self._webhook(gateway, webhook_id)
        await gateway.ctx.store.delete("webhooks", webhook_key(gateway.current_user(), webhook_id))


async def _payload(request: Request[Any, Any, Any], kind: str) -> Any:
    """The JSON a Plex (multipart ``payload`` part) or Lidarr (JSON body) delivery holds."""
    try:
        if kind == "plex":
            form = await request.form()
            part = form.get("payload")
            return json.loads(part if isinstance(part, str) else "")
        return json.loads(await request.body())
    except (ValueError, TypeError, RecursionError):  # nested too deeply: not a payload
        raise ValidationException(f"a {kind} delivery must carry its JSON payload") from None


class InboundWebhooksController(Controller):
    """Where senders deliver."""

    path = "/api/v1/hooks"
    tags = ["webhooks"]

    @post("/{webhook_id:str}", status_code=202, summary="Deliver an event to a webhook")
    async def deliver(
        self,
        gateway: NamedDependency[Gateway],
        request: Request[Any, Any, Any],
        webhook_id: Id,
        token: FromQuery[str | None] = None,
    ) -> Response[Delivered]:
        limit_key = (request.client.host if request.client else "", webhook_id)
        if await gateway.webhook_deliveries.blocked(limit_key):
            raise TooManyRequestsException(
                "too many deliveries to this webhook: wait a minute", headers={"Retry-After": "60"}
            )
        await gateway.webhook_deliveries.note(limit_key)
        box = _box(gateway)
        store = gateway.ctx.store
        keys = await store.keys("webhooks", f"*.{webhook_id}")
        record = await store.get("webhooks", keys[0], WebhookRecord) if keys else None
        if record is None or await store.get("users", record.user_id, UserRecord) is None:
            raise NotFoundException(f"no webhook {webhook_id}")  # nor one of a removed user
        secret = box.decrypt(record.secret, context=webhook_id)
        event: str | None = None
        delivery: str | None = None
        if record.kind == "generic":
            body = await request.body()
            problem = signature_problem(
                secret,
                request.headers.get("x-tunebridge-timestamp"),
                body,
                request.headers.get("x-tunebridge-signature"),
                time.time(),
            )
            if problem:
                raise NotAuthorizedException(problem)
            delivery = request.headers.get("x-tunebridge-delivery")
            if not delivery or len(delivery) > 200:
                raise ValidationException(
                    "X-Tunebridge-Delivery names each delivery (200 chars at most)"
                )
        else:
            if not token or not hmac.compare_digest(token, secret):
                raise NotAuthorizedException("the URL's token is missing or wrong")
            event = event_of(record.kind, await _payload(request, record.kind))
        if delivery is not None and not await store.create(
            "webhook_deliveries", f"{webhook_id}.{key_token(delivery)}", Delivered(started=[])
        ):
            raise ClientException("this delivery was accepted before", status_code=409)
        await store.update(
            "webhooks",
            webhook_key(record.user_id, webhook_id),
            WebhookRecord,
            lambda w: msgspec.structs.replace(
                w, deliveries=w.deliveries + 1, last_delivery_at=utcnow()
            ),
        )
        if not starts_runs(record.kind, record.events, event):
            return Response(
                Delivered(started=[], ignored=f"event {event!r} starts no runs here"),
                status_code=200,
            )
        started = []
        for job_id in record.job_ids:
            job = await store.get("jobs", job_key(record.user_id, job_id), SyncJobRecord)
            if job is not None:  # a job deleted since is simply no longer started
                started.append(await start_run(gateway, job, trigger=f"webhook:{record.kind}"))
        return Response(Delivered(started=started), status_code=202)
