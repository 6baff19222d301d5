"""``bridge`` subcommands that manage data: admins, API credentials and roles, demo data."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from bridge.app import bridge_state
from bridge.context import Actor
from bridge.errors import BridgeError

CLI_ACTOR = Actor(kind="system", name="cli", source="cli")


def _fail(exc: BridgeError) -> None:
    raise click.ClickException(exc.message) from exc


@click.group("admin")
def admin_group() -> None:
    """Manage staff admins."""


@admin_group.command("add")
@click.argument("username")
@click.option("--password", required=True, help="Login password (stored as a one-way hash).")
@click.option("--email", default="", help="Email address.")
@click.option("--first-name", default="", help="First name.")
@click.option("--last-name", default="", help="Last name.")
@with_appcontext
def admin_add(username: str, password: str, email: str, first_name: str, last_name: str) -> None:
    """Add a staff admin who can log in (and call the WHMCS API the legacy way)."""
    from bridge.services.access import add_admin

    try:
        with bridge_state().transaction(CLI_ACTOR) as session:
            admin = add_admin(session, username, password, email=email,
                              first_name=first_name, last_name=last_name)
            admin_id = admin.id
    except BridgeError as exc:
        _fail(exc)
    click.echo(f"admin {username} added (id {admin_id})")


@click.group("credential")
def credential_group() -> None:
    """Manage API credentials (one credential serves every API dialect)."""


@credential_group.command("add")
@click.option("--identifier", default=None, help="WHMCS identifier / Blesta API user "
              "(generated when omitted).")
@click.option("--secret", default=None, help="WHMCS secret / Blesta API key (generated when "
              "omitted; shown once).")
@click.option("--role", "roles", multiple=True, help="API role limiting the actions (repeatable).")
@click.option("--allow-ip", "allowed_ips", multiple=True,
              help="IP or CIDR allowed to use it (repeatable; default: loopback only).")
@click.option("--description", default="", help="What the credential is for.")
@click.option("--admin", "admin_username", default=None, help="Admin the calls act as.")
@with_appcontext
def credential_add(identifier: str | None, secret: str | None, roles: tuple[str, ...],
                   allowed_ips: tuple[str, ...], description: str,
                   admin_username: str | None) -> None:
    """Add an API credential; without --allow-ip it is usable from loopback only."""
    from sqlalchemy import select

    from bridge.models import Admin
    from bridge.services.access import add_api_credential

    try:
        with bridge_state().transaction(CLI_ACTOR) as session:
            admin_id = None
            if admin_username:
                admin = session.scalar(select(Admin).where(Admin.username == admin_username))
                if admin is None:
                    raise click.ClickException(f"no admin named {admin_username!r}")
                admin_id = admin.id
            credential, plain = add_api_credential(
                session, identifier, secret, roles=roles, allowed_ips=allowed_ips,
                admin_id=admin_id, description=description)
            ident = credential.identifier
    except BridgeError as exc:
        _fail(exc)
    click.echo(f"identifier: {ident}")
    if secret is None:
        click.echo(f"secret:     {plain}   (shown once; store it now)")
    click.echo("allowed from: " + (", ".join(allowed_ips) if allowed_ips else "loopback only"))


@click.group("role")
def role_group() -> None:
    """Manage API roles (named sets of allowed API actions)."""


@role_group.command("add")
@click.argument("name")
@click.option("--action", "actions", multiple=True, required=True,
              help="Allowed action name, e.g. GetClients or clients/get; * for all (repeatable).")
@click.option("--description", default="")
@with_appcontext
def role_add(name: str, actions: tuple[str, ...], description: str) -> None:
    """Add an API role."""
    from bridge.services.access import add_api_role

    try:
        with bridge_state().transaction(CLI_ACTOR) as session:
            add_api_role(session, name, list(actions), description=description)
    except BridgeError as exc:
        _fail(exc)
    click.echo(f"role {name} added: {', '.join(actions)}")


@click.command("demo")
@click.option("--force", is_flag=True, help="Load again even if demo data was loaded before.")
@with_appcontext
def demo_command(force: bool) -> None:
    """Load a small realistic demo data set (clients, products, services, invoices, tickets)."""
    from bridge.demo import load_demo

    try:
        with bridge_state().transaction(Actor(kind="system", name="demo", source="cli")) as s:
            summary: dict[str, Any] = load_demo(s, force=force)
    except BridgeError as exc:
        _fail(exc)
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")


def register(group: Any) -> None:
    """Add this module's commands to the ``bridge`` group."""
    group.add_command(admin_group)
    group.add_command(credential_group)
    group.add_command(role_group)
    group.add_command(demo_command)
