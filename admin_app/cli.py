"""Commands the extensions lack: `deploy`, `seed`, `roles-sync`, `export`, `worker`, `cron` (`db` is
Flask-Migrate's; `users`, `roles` Flask-Security's; `worker` and `cron` run RQ's own worker and cron scheduler)."""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

import click
from flask import Flask
from flask.cli import with_appcontext

from admin_app import deploy as deployment
from admin_app import jobs, periodic
from admin_app.admin import export_command
from admin_app.extensions import db
from admin_app.services import role as role_service
from admin_app.services import seed as seed_service

DEMO_USERS, DEMO_POSTS, DEMO_COMMENTS = 60, 240, 3000


@click.command("seed")
@click.option("--demo", is_flag=True, help="The demo accounts and a little realistic data.")
@click.option("--if-empty", is_flag=True, help="With --demo: add data only when there are no users yet.")
@click.option("--users", type=click.IntRange(min=0), default=0, help="How many users to add.")
@click.option("--posts", type=click.IntRange(min=0), default=0, help="How many posts to add.")
@click.option("--comments", type=click.IntRange(min=0), default=0, help="How many comments to add.")
@click.option("--random-seed", type=int, default=None, help="Make the generated data repeatable.")
@with_appcontext
def seed(demo: bool, if_empty: bool, users: int, posts: int, comments: int, random_seed: int | None) -> None:
    """Fill the database with demo or volume data (set-based inserts, with a progress bar)."""
    if demo:
        if not (if_empty and not seed_service.is_empty()):
            role_service.sync_roles()
            seed_service.create_demo_accounts()
            seed_service.fill(DEMO_USERS, DEMO_POSTS, DEMO_COMMENTS, seed=random_seed or 1)
            seed_service.moderation_history(seed=random_seed or 1)
            db.session.commit()
            click.echo("Demo data added.")
        click.echo("Demo logins:")
        for account in seed_service.DEMO_ACCOUNTS:
            click.echo(f"  {account.role:<10} {account.email:<24} {account.password}")
        click.echo("The admin assigns roles, so also signs in with a code: set up an authenticator app at first.")
    total = users + posts + comments
    if not total:
        return
    with click.progressbar(length=total, label="Seeding", file=sys.stderr) as bar:
        try:
            added = seed_service.fill(users, posts, comments, seed=random_seed, progress=bar.update)
        except ValueError as error:
            raise click.UsageError(str(error)) from error
        db.session.commit()
    click.echo(", ".join(f"{count} {kind}" for kind, count in added.items()) + " added.")


@click.command("deploy")
@with_appcontext
def deploy() -> None:
    """Make this release's database and files ready: migrate to head, sync the roles, compile the translations.

    Idempotent, and safe while the previous release serves; hosts running it at once take turns."""
    with deployment.one_host_at_a_time():
        before, after = deployment.migrate()
        click.echo(f"Database: at {after}." if before == after else f"Database: upgraded from {before} to {after}.")
        changed = deployment.sync_roles()
        click.echo(f"Roles updated: {', '.join(changed)}." if changed else "Roles: already in sync.")
    compiled = deployment.compile_translations()
    names = [f"{path.parent.parent.name}/{path.stem}" for path in compiled]
    click.echo(f"Translations: compiled {', '.join(names)}." if names else "Translations: up to date.")


@click.command("roles-sync")
@with_appcontext
def roles_sync() -> None:
    """Create the standard roles and reset their permissions to admin_app.permissions (idempotent)."""
    changed = role_service.sync_roles()
    db.session.commit()
    click.echo(f"Roles updated: {', '.join(changed)}" if changed else "Roles already in sync.")


@click.command("export")
@click.argument("view")
@click.option("--as", "email", required=True, help="Export as this user: their permissions decide rows and columns.")
@click.option("--filter", "filters", multiple=True, metavar="NAME=VALUE", help="A list filter as in the list's URL.")
@click.option("--search", default=None, help="The list's search.")
@click.option("--sort", type=int, default=None, help="The list's sort column (its index, as in the URL).")
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--bom", is_flag=True, help="Start with a byte-order mark (for Excel).")
@click.option("--output", "-o", type=click.File("wb"), default="-", help="Where to write (default: standard output).")
@with_appcontext
def export(
    view: str,
    email: str,
    filters: tuple[str, ...],
    search: str | None,
    sort: int | None,
    desc: bool,
    bom: bool,
    output: BinaryIO,
) -> None:
    """Export a list view as CSV, e.g. `export comment --as staff@example.com --filter flt0_disabled_equals=1`.

    The same rows, columns, cell rules and audit entry as the list's Export CSV; a progress bar on stderr."""
    args: list[tuple[str, str]] = []
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--filter")
        args.append((name, value))
    args += [("search", search)] if search else []
    args += [("sort", str(sort))] if sort is not None else []
    args += [("desc", "1")] if desc else []
    try:
        with export_command.exporting(view, email, args) as exporter:
            bar: Any
            with click.progressbar(length=exporter.estimate, label="Exporting", file=sys.stderr) as bar:
                rows = exporter.write(output, bom, bar.update)
    except export_command.Refused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    click.echo(f"{rows} rows exported.", err=True)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs: RQ's worker on JOBS_REDIS_URL, under this app (several may run, on any host)."""
    if not jobs.queued():
        raise click.ClickException("JOBS_REDIS_URL is not set: jobs run inline, in the request that asks for them.")
    jobs.work(burst=burst)


@click.command("cron")
@with_appcontext
def cron() -> None:
    """Queue the periodic work (checking new comments against the rules) every interval: RQ's cron scheduler on
    JOBS_REDIS_URL; the workers run it. One per deployment is enough; a second is harmless."""
    if not jobs.queued():
        raise click.ClickException("JOBS_REDIS_URL is not set: the web process runs the periodic work itself.")
    jobs.cron(periodic.PERIODIC)


def init_app(app: Flask) -> None:
    app.cli.add_command(deploy)
    app.cli.add_command(seed)
    app.cli.add_command(roles_sync)
    app.cli.add_command(export)
    app.cli.add_command(worker)
    app.cli.add_command(cron)
