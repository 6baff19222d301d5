"""Read-only contexts handed to plugin modules, built from the database rows.

Modules never see ORM objects: they get frozen dataclasses from :mod:`hooks` with secrets
decrypted, so a module can neither change nor lazily load anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.models import (
    Client,
    ConfigOption,
    ConfigOptionValue,
    CustomField,
    CustomFieldValue,
    Domain,
    Product,
    Server,
    Service,
)
from hooks import AccountContext, ClientInfo, DomainContext, ServerInfo

from .common import secret_box

if TYPE_CHECKING:
    from bridge.plugins import PluginHost


def plugin_host(session: Session) -> PluginHost:
    """The app's plugin host, stated on the session by ``BridgeState.transaction``."""
    host = session.info.get("bridge.plugins")
    if host is None:
        raise RuntimeError("no plugin host on this session; open it with BridgeState.transaction()")
    return host  # type: ignore[no-any-return]


def client_info(client: Client) -> ClientInfo:
    """The module-facing copy of a client."""
    return ClientInfo(
        id=client.id, first_name=client.first_name, last_name=client.last_name,
        company_name=client.company_name, email=client.email, address1=client.address1,
        address2=client.address2, city=client.city, state=client.state,
        postcode=client.postcode, country=client.country, phone=client.phone,
        language=client.language, currency=client.currency,
    )


def server_info(session: Session, server: Server) -> ServerInfo:
    """The module-facing copy of a server, credentials decrypted."""
    box = secret_box(session)
    return ServerInfo(
        id=server.id, name=server.name, hostname=server.hostname, ip_address=server.ip_address,
        port=server.port, secure=server.secure, username=server.username,
        password=box.decrypt(server.password_enc), access_hash=box.decrypt(server.access_hash_enc),
        nameservers=tuple(server.nameservers or ()), config=dict(server.config or {}),
    )


def account_context(
    session: Session, service: Service, server: Server | None, settings: dict[str, Any]
) -> AccountContext:
    """Everything a server module needs about ``service`` (on ``server``, if any)."""
    product = session.get(Product, service.product_id)
    client = session.get(Client, service.client_id)
    assert product is not None and client is not None
    return AccountContext(
        service_id=service.id, client=client_info(client), product_id=product.id,
        product_name=product.name, product_type=product.type, domain=service.domain,
        username=service.username,
        password=secret_box(session).decrypt(service.password_enc), status=service.status,
        billing_cycle=service.billing_cycle,
        product_config={k: str(v) for k, v in (product.module_config or {}).items()},
        config_options=_config_options(session, service),
        custom_fields=_custom_fields(session, "product", product.id, service.id),
        server=server_info(session, server) if server is not None else None,
        settings=settings,
    )


def _config_options(session: Session, service: Service) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for row in service.config_options:
        option = session.get(ConfigOption, row.option_id)
        value = session.get(ConfigOptionValue, row.value_id) if row.value_id else None
        if option is None:
            continue
        if option.option_type == "quantity":
            chosen[option.name] = str(row.quantity)
        elif value is not None:
            chosen[option.name] = value.value or value.name
        else:
            chosen[option.name] = row.text_value
    return chosen


def _custom_fields(
    session: Session, owner_type: str, owner_id: int, entity_id: int
) -> dict[str, str]:
    rows = session.execute(
        select(CustomField, CustomFieldValue)
        .join(CustomFieldValue, CustomFieldValue.field_id == CustomField.id)
        .where(CustomField.owner_type == owner_type, CustomField.owner_id == owner_id,
               CustomFieldValue.entity_id == entity_id)
    ).all()
    box = secret_box(session)
    return {field.name: box.decrypt(value.value) if field.encrypted else value.value
            for field, value in rows}


def domain_context(session: Session, domain: Domain, config: dict[str, str]) -> DomainContext:
    """Everything a registrar module needs about ``domain``."""
    client = session.get(Client, domain.client_id)
    assert client is not None
    sld, _, tld = domain.name.partition(".")
    contacts = {role: dict(values) for role, values in (domain.contacts or {}).items()}
    if "registrant" not in contacts:
        contacts["registrant"] = {
            "first_name": client.first_name, "last_name": client.last_name,
            "company_name": client.company_name, "email": client.email,
            "address1": client.address1, "address2": client.address2, "city": client.city,
            "state": client.state, "postcode": client.postcode, "country": client.country,
            "phone": client.phone,
        }
    return DomainContext(
        domain_id=domain.id, name=domain.name, sld=sld, tld=tld, client=client_info(client),
        years=domain.registration_period, nameservers=tuple(domain.nameservers or ()),
        contacts=contacts, epp_code=secret_box(session).decrypt(domain.epp_code_enc),
        id_protection=domain.id_protection, dns_management=domain.dns_management,
        extra_fields={f.name: f.value for f in domain.fields}, config=config,
    )
