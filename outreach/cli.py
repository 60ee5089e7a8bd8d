"""The `flask --app outreach ...` commands of DESIGN.md §4, and `reports snapshot`."""

import sys
from functools import wraps
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from outreach import backup, crypto, demo, scheduler
from outreach.auth import second_factor
from outreach.auth.queries import find_users_by_email
from outreach.auth.services import AccountError, create_token, create_user
from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.orgs.queries import find_organisation
from outreach.orgs.services import OrganisationError, create_organisation
from outreach.reports.figures import FIRST_YEAR, Period, last_valid_year
from outreach.reports.services import snapshot_period
from outreach.retention import services as retention


def in_english(command):
    """Messages from the services in English: there is no request (and no user or session)
    to choose a language from, and the operator's console speaks the commands' language."""

    @wraps(command)
    def wrapped(*args, **kwargs):
        with force_locale("en"):
            return command(*args, **kwargs)

    return wrapped


def _read_password(prompt_twice: bool = True) -> str:
    """From standard input when it is not a terminal, else a hidden prompt; never argv."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=prompt_twice)


@click.command("create-org")
@click.argument("name")
@click.option(
    "--region",
    "regions",
    multiple=True,
    required=True,
    help="Region slug (repeatable): hovedstaden, sjaelland, syddanmark, midtjylland, nordjylland.",
)
@in_english
def create_org_command(name, regions):
    """Create an organisation covering the given regions."""

    try:
        org = create_organisation(name, list(regions))
    except OrganisationError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created organisation {org.name} ({', '.join(org.region_slugs)}).")


@click.command("create-user")
@click.argument("email")
@click.option("--org", "org_name", required=True, help="Name of the user's organisation.")
@click.option("--role", type=click.Choice(["nurse", "coordinator", "admin"]), required=True)
@click.option("--name", default="", help="Display name.")
@in_english
def create_user_command(email, org_name, role, name):
    """Create a user; the password comes from standard input or a prompt."""

    org = find_organisation(org_name)
    if org is None:
        raise click.ClickException(f"No organisation named {org_name!r}; create it first.")
    password = _read_password()
    try:
        user = create_user(org, email, password, role, name=name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} in {org.name}.")


def _one_user(email: str, org_name: str | None):
    """The one active account with this address (in --org, when it has several)."""
    users = [u for u in find_users_by_email(email) if u.active]
    if org_name is not None:
        users = [u for u in users if u.organisation.name == org_name]
    if not users:
        raise click.ClickException(f"No active user with the email {email!r}.")
    if len(users) > 1:
        raise click.ClickException(
            f"The email {email!r} has an account in several organisations; give --org."
        )
    return users[0]


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", help="What the token is for.")
@click.option("--expires-days", type=int, default=None, help="Days until it stops working.")
@click.option("--org", "org_name", default=None, help="The organisation, if the email has several.")
@in_english
def create_token_command(email, name, expires_days, org_name):
    """Create a personal API token (set-up by the operator; users make their own on their
    account page); it is printed once, alone on the last line."""

    user = _one_user(email, org_name)
    try:
        _, plain = create_token(user, name, expires_days=expires_days)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Token for {user.email} ({user.role}); store it now, it is not shown again:")
    click.echo(plain)


@click.command("demo")
@click.option("--force", is_flag=True, help="Add the demo data to a database that has data.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into an empty database; otherwise just print the demo logins.",
)
@click.option(
    "--i-know",
    "i_know",
    is_flag=True,
    help="Load it in production all the same (its password is published).",
)
@in_english
def demo_command(force, if_empty, i_know):
    """Load the demo organisations, users and data (refuses a non-empty database)."""
    if current_app.config["OUTREACH_ENV"] == "production" and not i_know:
        raise click.ClickException(
            "This is a production instance (OUTREACH_ENV=production), and the demo users' "
            "password is published. Use OUTREACH_ENV=development, or add --i-know."
        )

    try:
        logins = demo.load(force=force)
    except demo.DatabaseNotEmpty as exc:
        if not if_empty:
            raise click.ClickException(str(exc)) from None
        if not demo.is_loaded():
            click.echo("The database has data, but not the demo; nothing was loaded.")
            return
        click.echo("The database has data already; the demo was not loaded again.")
        logins = demo.LOGINS
    except (AccountError, OrganisationError) as exc:
        # e.g. a demo email taken by a real user; nothing is committed, nothing half-loaded
        raise click.ClickException(str(exc)) from None
    else:
        db.session.commit()
        click.echo("Demo data loaded.")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:<12} {email}")
    click.echo(
        "Coordinators and admins log in with a second factor too. Add a secret below to an"
        " authenticator app (or scan its otpauth URI as a QR code), or print the current code"
        " with `flask --app outreach totp-code EMAIL` (development only):"
    )
    for email, secret, uri in demo.second_factors():
        click.echo(f"  {email:<30} {secret}")
        click.echo(f"  {'':<30} {uri}")


@click.command("totp-code")
@click.argument("email")
@click.option("--org", "org_name", default=None, help="The organisation, if the email has several.")
def totp_code_command(email, org_name):
    """Print the current second-factor code of a user: development only, so that a newcomer
    can log in as a demo user without a phone. Refused in production."""
    if current_app.config["OUTREACH_ENV"] == "production":
        raise click.ClickException(
            "totp-code is for development only (OUTREACH_ENV=development); in production the "
            "code comes from the user's authenticator app."
        )
    user = _one_user(email, org_name)
    factor = second_factor.enrolled_factor(user)
    if factor is None:
        raise click.ClickException(f"{user.email} has no second factor set up.")
    click.echo(second_factor.code_at(factor))


@click.command("reset-second-factor")
@click.argument("email")
@click.option("--org", "org_name", default=None, help="The organisation, if the email has several.")
@in_english
def reset_second_factor_command(email, org_name):
    """Remove a user's second factor (a lost phone, when no other admin can reset it on the
    user's page): she sets up a new one at her next login. Audited."""
    user = _one_user(email, org_name)
    if not second_factor.reset(user, actor=None, via="command line"):
        click.echo(f"{user.email} has no second factor; nothing was changed.")
        return
    db.session.commit()
    click.echo(
        f"The second factor of {user.email} ({user.organisation.name}) is reset; a new one is"
        " set up at the next login."
    )


reports_group = AppGroup("reports")


@reports_group.command("snapshot")
@click.option("--year", type=int, required=True, help="Calendar year (Danish time).")
@click.option("--month", type=click.IntRange(1, 12), help="A month of the year; else the year.")
@click.option("--org", "org_name", help="Only this organisation (default: every one).")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Recompute snapshots that exist, except those sealed by the retention purge "
    "(recomputed, they would lose the deleted persons).",
)
def report_snapshot_command(year, month, org_name, overwrite):
    """Store the figures of a year or month for each organisation and region."""

    if not FIRST_YEAR <= year <= last_valid_year():
        raise click.BadParameter(f"give a year from {FIRST_YEAR}", param_hint="--year")
    stmt = select(Organisation).order_by(Organisation.name)
    if org_name:
        stmt = stmt.where(Organisation.name == org_name)
    organisations = list(db.session.scalars(stmt))
    if org_name and not organisations:
        raise click.ClickException(f"No organisation named {org_name!r}.")
    period = Period(year, month)
    for organisation in organisations:
        written = snapshot_period(organisation, period, overwrite=overwrite)
        db.session.commit()
        click.echo(
            f"{organisation.name}: {written} snapshot(s) written for {year}"
            + (f"-{month:02d}" if month else "")
            + "."
        )


@click.command("generate-backup-key")
def generate_backup_key_command():
    """Print a new random BACKUP_KEY (store it apart from the backups)."""

    click.echo(backup.generate_key())


@click.command("generate-keys")
def generate_keys_command():
    """Print a fresh DATA_KEYS and LOOKUP_KEY line to paste into the environment. To rotate,
    put the new DATA_KEYS entry first and keep the old ones after it until rotate-keys ran."""

    for line in crypto.generate_keys():
        click.echo(line)


@click.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
def rotate_keys_command(batch_size):
    """Re-encrypt every encrypted value under the active (first) key of DATA_KEYS. Values
    already under it are skipped, so a run that was stopped is simply run again."""

    ring = crypto.keyring()
    columns = crypto.sealed_columns(db.metadata)
    total = crypto.count_values(db.session, columns)
    click.echo(
        f"Re-encrypting {total} value(s) in {len(columns)} column(s) under key {ring.active_id}."
    )
    counts = crypto.RotationCounts()
    with click.progressbar(length=total, label="Values", show_pos=True) as bar:
        for done, so_far in crypto.rotate(db.session, ring, columns, batch_size=batch_size):
            bar.update(done)
            counts = so_far
    click.echo(
        f"Re-encrypted {counts.rotated}; already under {ring.active_id}: {counts.current}; "
        f"unreadable, left as they are: {counts.unreadable}."
    )
    if counts.unreadable:
        raise click.ClickException(
            "Some values open with no key of DATA_KEYS (the log names their rows); keep the "
            "old keys until they are explained."
        )
    click.echo("Every value is under the active key: older keys can leave DATA_KEYS now.")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file):
    """Write an encrypted backup of the configured database to FILE (a new file)."""

    try:
        key = backup.parse_key(current_app.config["BACKUP_KEY"])
        backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file, key)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(file):
    """Restore the encrypted backup FILE into the configured database, which must be empty."""

    # The command's own session holds no connection while the database is replaced.
    db.session.remove()
    db.engine.dispose()
    try:
        key = backup.parse_key(current_app.config["BACKUP_KEY"])
        backup.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], file, key)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        # Pooled connections and cached schema predate the restore.
        db.engine.dispose()
    click.echo(f"Restored {file} into the configured database.")


def _echo_counts(name: str, counts: dict, verb: str) -> None:
    click.echo(
        f"{name}: {verb} {counts['persons']} person(s) ({counts['person_records']} record(s)), "
        f"{counts['conversations']} conversation(s), notes of {counts['visit_notes']} visit(s); "
        f"no contact since {counts['cutoff']} ({counts['years']} years)."
    )
    for year, figures in counts["by_year"].items():
        click.echo(
            f"  {year}: {figures['persons']} person(s) last met, "
            f"{figures['conversations']} conversation(s), notes of "
            f"{figures['visit_notes']} visit(s)"
        )


@click.command("retention")
@click.option(
    "--dry-run", is_flag=True, help="Only list what would be deleted, per year; delete nothing."
)
def retention_command(dry_run):
    """Delete person-level data without contact for each organisation's number of years (the
    daily job's purge, run now), or list it with --dry-run."""

    if dry_run:
        for what in retention.plans():
            _echo_counts(what.organisation.name, what.counts(), "would delete")
        return
    results = scheduler.run_locked("retention", retention.purge)
    if results is None:
        raise click.ClickException("The retention job is running in another process; try later.")
    for name, counts in results.items():
        _echo_counts(name, counts, "deleted")
        click.echo(f"  {counts['snapshots_sealed']} report snapshot(s) sealed.")


@click.command("scheduler")
def scheduler_command():
    """Run the scheduled jobs in the foreground (one process per deployment is enough)."""

    scheduler.run_forever(current_app._get_current_object())


def register(app):
    for command in (
        create_org_command,
        create_user_command,
        create_token_command,
        demo_command,
        totp_code_command,
        reset_second_factor_command,
        scheduler_command,
        retention_command,
        reports_group,
        generate_backup_key_command,
        generate_keys_command,
        rotate_keys_command,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
