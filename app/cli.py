"""CLI commands: `flask --app run setup | roles sync | demo load | create-user | ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def register_cli(app: Flask) -> None:
    app.cli.add_command(roles_cli)
    app.cli.add_command(setup_cmd)
    app.cli.add_command(demo_cli)
    app.cli.add_command(stock_cli)
    from app.jobs.cli import register as register_jobs_cli

    register_jobs_cli(app)


@click.group("roles")
def roles_cli() -> None:
    """Roles and permissions."""


@roles_cli.command("sync")
@with_appcontext
def roles_sync() -> None:
    """Make every role's permissions exactly what app/security.py says (idempotent)."""
    from app.security import sync_roles

    report = sync_roles(current_app.appbuilder)
    for role, count in report.items():
        click.echo(f"{role}: {count} permissions")


@click.group("demo")
def demo_cli() -> None:
    """Demo data."""


@demo_cli.command("load")
@click.option("--force", is_flag=True, help="Load even if the database has data.")
@with_appcontext
def demo_load(force: bool) -> None:
    """Load the Robokids demo story (only into an empty database unless --force)."""
    from app.services.demo import load_demo

    result = load_demo(force=force)
    click.echo(result)


@click.command("setup")
@click.option("--admin-password", default=None, help="Admin password (generated when absent).")
@click.option("--demo/--no-demo", default=True,
              help="Load the demo story into an empty database (--no-demo in production).")
@with_appcontext
def setup_cmd(admin_password: str | None, demo: bool) -> None:
    """Migrate, sync roles, load demo data into an empty database, create the admin; print the login."""
    from flask_migrate import upgrade

    from app.security import sync_roles
    from app.services.demo import ensure_admin, load_demo

    upgrade()
    sync_roles(current_app.appbuilder)
    if demo:
        click.echo(load_demo(force=False))
    username, password, created = ensure_admin(admin_password)
    if created:
        click.echo(f"Admin user: {username} / password: {password}")
    else:
        click.echo(f"Admin user: {username} (exists; password unchanged)")


@click.group("stock")
def stock_cli() -> None:
    """Warehouse ledger tools."""


@stock_cli.command("verify")
@with_appcontext
def stock_verify() -> None:
    """Rebuild balances and lot remainders from the ledger and report any difference (exit 1 if any)."""
    from app.extensions import db
    from app.services.stock.verify import verify_stock

    differences = verify_stock(db.session)
    for diff in differences:
        click.echo(str(diff))
    click.echo(f"{len(differences)} differences")
    if differences:
        raise SystemExit(1)


@stock_cli.command("link-partners")
@with_appcontext
def stock_link_partners() -> None:
    """Link documents whose supplier / client was typed as text to the one partner that text names."""
    from app.extensions import db
    from app.services.base import run_use_case
    from app.services.stock.partner_links import link_partner_names

    result = run_use_case(db.session, lambda: link_partner_names(db.session))
    click.echo(f"{result.linked} documents linked")
    for text in result.unmatched:
        click.echo(f"not linked (no partner, or several): {text}")
