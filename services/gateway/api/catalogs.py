"""The catalogs a person can look tracks and artists up in: their own connected accounts
whose service has a searchable catalog, then the public catalogs of this installation."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException

from services.gateway.adapters.rpc import ServiceUnavailable
from services.gateway.api.dependencies import Gateway
from services.kernel.records import ConnectionRecord

SEARCH = "search"
#: Searchable, but only what the person already has (media servers, folders).
LIBRARY = "scan_library"


class CatalogView(msgspec.Struct, kw_only=True):
    """A catalog to look up in: the provider (``catalog`` of ``/match/artists`` and
    ``/downloads``) and, for a person's own account, its ``connection_id`` (searched as
    them); ``label`` is how the UI names it."""

    catalog: str
    display_name: str
    label: str
    connection_id: str | None = None


class CatalogsController(Controller):
    """Which catalogs the matched downloads of this person can use."""

    path = "/api/v1"
    tags = ["catalog"]

    @get("/catalogs", summary="The catalogs you can look tracks up in, yours first")
    async def catalogs(self, gateway: NamedDependency[Gateway]) -> list[CatalogView]:
        user_id = gateway.current_user()
        try:
            providers = (await gateway.clients.providers(user_id)).providers
        except ServiceUnavailable as error:
            raise ServiceUnavailableException("the connectors are not answering") from error
        searchable = {
            p.name: p
            for p in providers
            if SEARCH in p.capabilities and LIBRARY not in p.capabilities
        }
        connections = await gateway.ctx.store.values(
            "connections", f"{user_id}.*", ConnectionRecord
        )
        found: list[CatalogView] = []
        for record in sorted(connections, key=lambda r: r.created_at):
            provider = searchable.get(record.provider)
            if provider is None or record.status != "connected":
                continue
            who = record.display_name or record.account_id
            found.append(
                CatalogView(
                    catalog=provider.name,
                    display_name=provider.display_name,
                    label=f"{provider.display_name} · {who}" if who else provider.display_name,
                    connection_id=record.connection_id,
                )
            )
        mine = {c.catalog for c in found}
        for provider in sorted(searchable.values(), key=lambda p: p.display_name):
            if provider.public_catalog and provider.name not in mine:
                found.append(
                    CatalogView(
                        catalog=provider.name,
                        display_name=provider.display_name,
                        label=provider.display_name,
                    )
                )
        return found
