"""The migrations: they build the whole schema on an empty database, seed the regions, match
the models exactly, and undo cleanly. Each test gets an empty database of its own, on SQLite or
on PostgreSQL when TEST_DATABASE_URL is set."""

import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, stamp, upgrade
from sqlalchemy import inspect, select, text

from outreach.clinics import csv_import
from outreach.clinics.models import ClinicImport
from outreach.db import UTCDateTime, db, utcnow
from outreach.orgs.models import Region
from tests.conftest import database_url, make_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
REGIONS = {
    "hovedstaden": 1084,
    "sjaelland": 1085,
    "syddanmark": 1083,
    "midtjylland": 1082,
    "nordjylland": 1081,
}


@pytest.fixture
def empty_app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "migrations"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


# SQLite cannot reflect an index on expressions (uq_report_snapshots_period coalesces its
# nullable columns), so autogenerate skips those and says so; the test of index names
# checks that they exist all the same.
IGNORE_SQLITE_EXPRESSION_INDEX_WARNINGS = (
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index",
)


def sqlite_cannot_compare_expression_indexes(test):
    for warning in IGNORE_SQLITE_EXPRESSION_INDEX_WARNINGS:
        test = pytest.mark.filterwarnings(warning)(test)
    return test


def index_names() -> set[str]:
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return set(db.session.scalars(text(query)))


def schema_drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_flask_db_upgrade_builds_every_table_of_the_models(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert tables() == set(db.metadata.tables)


def test_upgrade_seeds_the_five_regions_with_their_slugs_and_codes(empty_app):
    upgrade()

    regions = {r.slug: r.code for r in db.session.scalars(select(Region))}

    assert regions == REGIONS


def test_the_seeded_regions_have_their_names(empty_app):
    upgrade()

    assert db.session.get(Region, "sjaelland").name == "Region Sjælland"


@sqlite_cannot_compare_expression_indexes
def test_the_migrated_schema_matches_the_models_exactly(empty_app):
    upgrade()

    assert schema_drift() == []


def test_upgrade_creates_every_index_of_the_models_by_name(empty_app):
    upgrade()

    expected = {index.name for table in db.metadata.tables.values() for index in table.indexes}

    assert expected - index_names() == set()


def test_downgrade_to_base_removes_every_table(empty_app):
    upgrade()

    downgrade(revision="base")

    assert tables() == set()


@sqlite_cannot_compare_expression_indexes
def test_the_migrations_can_be_run_again_after_a_downgrade(empty_app):
    upgrade()
    downgrade(revision="base")

    upgrade()

    assert schema_drift() == []
    assert db.session.scalar(text("SELECT count(*) FROM regions")) == 5


def test_every_migration_downgrades_to_the_one_before(empty_app):
    script = ScriptDirectory.from_config(empty_app.extensions["migrate"].migrate.get_config())
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    upgrade()

    for revision in revisions:
        downgrade(revision="-1")
        upgrade(revision=revision)
        downgrade(revision="-1")

    assert tables() == set()


def test_the_migrations_have_a_single_head():
    script = ScriptDirectory(str(MIGRATIONS))

    assert len(script.get_heads()) == 1


def test_every_migration_file_is_named_after_its_revision_and_what_it_changes():
    script = ScriptDirectory(str(MIGRATIONS))

    for revision in script.walk_revisions():
        name = Path(revision.path).name
        assert re.fullmatch(rf"{revision.revision}_[a-z0-9_]+\.py", name), name


# 24921eb28ec7: clinic imports get their own record, carried over from the audit log.
BEFORE_CLINIC_IMPORTS = "0f4709e5baed"
CLINIC_IMPORTS = "24921eb28ec7"


def audit_an_import_as_before(upload_id: str, details: dict) -> tuple[uuid.UUID, uuid.UUID]:
    """An organisation, a coordinator and the audit event that was the only trace of her import
    before CLINIC_IMPORTS; the tables as they are at that revision, not the models of today."""
    organisations = sa.table(
        "organisations",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("settings", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
    )
    users = sa.table(
        "users",
        *(sa.column(name, sa.Uuid()) for name in ("id", "organisation_id")),
        *(sa.column(name, sa.String()) for name in ("email", "name", "password_hash", "role")),
        sa.column("active", sa.Boolean()),
        sa.column("session_version", sa.Integer()),
        *(sa.column(name, UTCDateTime()) for name in ("created_at", "updated_at")),
    )
    audit_events = sa.table(
        "audit_events",
        *(sa.column(name, sa.Uuid()) for name in ("id", "organisation_id", "user_id")),
        *(sa.column(name, sa.String()) for name in ("action", "object_type", "object_id")),
        sa.column("details", sa.JSON()),
        sa.column("at", UTCDateTime()),
    )
    org_id, user_id, now = uuid.uuid4(), uuid.uuid4(), utcnow()
    db.session.execute(
        sa.insert(organisations).values(id=org_id, name="Before", settings={}, created_at=now)
    )
    db.session.execute(
        sa.insert(users).values(
            id=user_id,
            organisation_id=org_id,
            email="coordinator@example.org",
            name="Coordinator",
            password_hash="-",
            role="coordinator",
            active=True,
            session_version=1,
            created_at=now,
            updated_at=now,
        )
    )
    db.session.execute(
        sa.insert(audit_events).values(
            id=uuid.uuid4(),
            organisation_id=org_id,
            user_id=user_id,
            action="clinic.import",
            object_type="clinic_import",
            object_id=upload_id,
            details=details,
            at=now,
        )
    )
    db.session.commit()
    return org_id, user_id


def test_an_import_known_only_from_the_audit_log_stays_imported_after_the_upgrade(empty_app):
    upgrade(revision=BEFORE_CLINIC_IMPORTS)
    details = {"rows": 3, "imported": 2, "skipped": 1, "possible_duplicates": 1}
    org_id, user_id = audit_an_import_as_before("a" * 32, details)

    upgrade(revision=CLINIC_IMPORTS)

    assert csv_import.already_imported(org_id, "a" * 32)
    assert not csv_import.already_imported(org_id, "b" * 32)
    (carried,) = db.session.scalars(select(ClinicImport)).all()
    assert (carried.organisation_id, carried.imported_by_id) == (org_id, user_id)
    assert {count: getattr(carried, count) for count in details} == details


def test_the_downgrade_drops_the_import_records_and_keeps_the_audit_events(empty_app):
    upgrade(revision=BEFORE_CLINIC_IMPORTS)
    audit_an_import_as_before(
        "a" * 32, {"rows": 1, "imported": 1, "skipped": 0, "possible_duplicates": 0}
    )
    upgrade(revision=CLINIC_IMPORTS)

    downgrade(revision=BEFORE_CLINIC_IMPORTS)

    assert "clinic_imports" not in tables()
    assert db.session.scalar(text("SELECT count(*) FROM audit_events")) == 1


# 7c2e5d1a9b40: supply and indicator labels per language.
BEFORE_LABELS_PER_LANGUAGE = "7c2e4f6a8b10"
LABELS_PER_LANGUAGE = "7c2e5d1a9b40"

organisations_at_labels = sa.table(
    "organisations",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("settings", sa.JSON()),
    sa.column("sync_seq", sa.BigInteger()),
    sa.column("created_at", UTCDateTime()),
)


def organisation_as_before(name: str, settings: dict) -> uuid.UUID:
    org_id = uuid.uuid4()
    db.session.execute(
        sa.insert(organisations_at_labels).values(
            id=org_id, name=name, settings=settings, sync_seq=0, created_at=utcnow()
        )
    )
    db.session.commit()
    return org_id


def settings_of(org_id) -> dict:
    settings = db.session.scalar(
        select(organisations_at_labels.c.settings).where(organisations_at_labels.c.id == org_id)
    )
    db.session.rollback()  # end the read: the next migration step needs the database
    return settings


OLD_SETTINGS = {
    "supplies": ["condoms", "gloves"],
    "supply_labels": {"condoms": "Kondomer", "gloves": "Handsker"},
    "indicators": ["debt"],
    "indicator_labels": {"debt": "Gæld"},
    "offices": [{"name": "Aarhus", "lat": 56.1567, "lon": 10.2108}],
}


def test_a_label_stored_as_one_string_becomes_a_label_per_language(empty_app):
    empty_app.config["DEFAULT_LOCALE"] = "da"  # a Danish deployment, as in production
    upgrade(revision=BEFORE_LABELS_PER_LANGUAGE)
    org_id = organisation_as_before("Before", OLD_SETTINGS)
    untouched = organisation_as_before("Without labels", {"supplies": ["condoms"]})

    upgrade(revision=LABELS_PER_LANGUAGE)

    settings = settings_of(org_id)
    # The string is the Danish label; English gets a known code's built-in label, else the
    # same string.
    assert settings["supply_labels"] == {
        "condoms": {"da": "Kondomer", "en": "Condoms"},
        "gloves": {"da": "Handsker", "en": "Handsker"},
    }
    assert settings["indicator_labels"] == {"debt": {"da": "Gæld", "en": "Debt"}}
    rest = {key: OLD_SETTINGS[key] for key in ("supplies", "indicators", "offices")}
    assert {key: settings[key] for key in rest} == rest
    assert settings_of(untouched) == {"supplies": ["condoms"]}


def test_the_label_migration_leaves_labels_per_language_as_they_are(empty_app):
    empty_app.config["DEFAULT_LOCALE"] = "da"
    upgrade(revision=BEFORE_LABELS_PER_LANGUAGE)
    mixed = {
        "supplies": ["condoms", "gloves"],
        "supply_labels": {"condoms": {"da": "Kondomer", "en": "Rubbers"}, "gloves": "Handsker"},
    }
    org_id = organisation_as_before("Mixed", mixed)

    upgrade(revision=LABELS_PER_LANGUAGE)
    once = settings_of(org_id)
    downgrade(revision=BEFORE_LABELS_PER_LANGUAGE)
    upgrade(revision=LABELS_PER_LANGUAGE)

    assert once["supply_labels"] == {
        "condoms": {"da": "Kondomer", "en": "Rubbers"},
        "gloves": {"da": "Handsker", "en": "Handsker"},
    }
    assert settings_of(org_id)["supply_labels"] == {
        "condoms": {"da": "Kondomer", "en": "Condoms"},  # the downgrade kept Danish only
        "gloves": {"da": "Handsker", "en": "Handsker"},
    }


def test_the_label_migration_run_twice_changes_nothing_the_second_time(empty_app):
    empty_app.config["DEFAULT_LOCALE"] = "da"
    upgrade(revision=BEFORE_LABELS_PER_LANGUAGE)
    org_id = organisation_as_before("Twice", OLD_SETTINGS)
    upgrade(revision=LABELS_PER_LANGUAGE)
    once = settings_of(org_id)

    stamp(revision=BEFORE_LABELS_PER_LANGUAGE)  # as if it had not run: it runs again
    upgrade(revision=LABELS_PER_LANGUAGE)

    assert settings_of(org_id) == once


def test_the_label_downgrade_keeps_the_default_languages_label(empty_app):
    empty_app.config["DEFAULT_LOCALE"] = "da"
    upgrade(revision=BEFORE_LABELS_PER_LANGUAGE)
    org_id = organisation_as_before("Back", OLD_SETTINGS)
    upgrade(revision=LABELS_PER_LANGUAGE)

    downgrade(revision=BEFORE_LABELS_PER_LANGUAGE)

    assert settings_of(org_id) == OLD_SETTINGS


def test_an_english_deployment_migrates_a_string_to_the_english_label(empty_app):
    empty_app.config["DEFAULT_LOCALE"] = "en"
    upgrade(revision=BEFORE_LABELS_PER_LANGUAGE)
    org_id = organisation_as_before(
        "English", {"supplies": ["condoms"], "supply_labels": {"condoms": "Rubbers"}}
    )

    upgrade(revision=LABELS_PER_LANGUAGE)

    assert settings_of(org_id)["supply_labels"] == {"condoms": {"da": "Kondomer", "en": "Rubbers"}}


# b3e8c1f4a7d2: aliases, notes and kept searches encrypted at rest (outreach/crypto.py).
BEFORE_ENCRYPTION = "3015accdb78f"
ENCRYPTION = "b3e8c1f4a7d2"

persons_before_encryption = sa.table(
    "persons",
    *(sa.column(name, sa.Uuid()) for name in ("id", "organisation_id", "canonical_id")),
    sa.column("alias", sa.String()),
    sa.column("gender", sa.String()),
    sa.column("languages", sa.JSON()),
    sa.column("sync_seq", sa.BigInteger()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


def persons_as_before(org_id, *aliases) -> list[uuid.UUID]:
    ids = []
    for alias in aliases:
        person_id = uuid.uuid4()
        db.session.execute(
            sa.insert(persons_before_encryption).values(
                id=person_id,
                organisation_id=org_id,
                canonical_id=person_id,
                alias=alias,
                gender="woman",
                languages=[],
                sync_seq=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        ids.append(person_id)
    db.session.commit()
    return ids


def stored_aliases(ids) -> list[tuple[str, str | None]]:
    has_lookup = "alias_lookup" in {c["name"] for c in inspect(db.engine).get_columns("persons")}
    table = sa.table("persons", sa.column("id", sa.Uuid()), sa.column("alias"))
    stmt = select(table.c.id, table.c.alias).where(table.c.id.in_(ids))
    found = dict(db.session.execute(stmt).all())
    lookups = sa.table("persons", sa.column("id", sa.Uuid()), sa.column("alias_lookup"))
    hashes = {}
    if has_lookup:
        hashes = dict(db.session.execute(select(lookups.c.id, lookups.c.alias_lookup)).all())
    db.session.rollback()
    return [(found[i], hashes.get(i)) for i in ids]


def test_the_encryption_migration_seals_existing_aliases_and_is_safe_to_run_again(empty_app):
    from outreach import crypto
    from outreach.persons.matching import exact_form
    from outreach.persons.models import Person

    upgrade(revision=BEFORE_ENCRYPTION)
    org_id = organisation_as_before("Before encryption", {})
    long_alias = "Á" * 100  # 200 bytes of UTF-8: the sealed text outgrows VARCHAR(100)
    ids = persons_as_before(org_id, "Mai", long_alias)

    upgrade(revision=ENCRYPTION)
    once = stored_aliases(ids)
    stamp(revision=BEFORE_ENCRYPTION)  # as if it had not run: it runs again
    upgrade(revision=ENCRYPTION)

    ring = crypto.keyring()
    assert stored_aliases(ids) == once  # sealed values are recognised and left alone
    for (sealed, lookup), person_id, alias in zip(once, ids, ("Mai", long_alias), strict=True):
        assert crypto.key_id_of(sealed) == "t1" and alias not in sealed
        assert lookup == ring.lookup("persons.alias", exact_form(alias))
        assert db.session.get(Person, person_id).alias == alias
    db.session.rollback()


def test_the_encryption_downgrade_opens_the_aliases_again(empty_app):
    upgrade(revision=BEFORE_ENCRYPTION)
    org_id = organisation_as_before("Round trip", {})
    ids = persons_as_before(org_id, "Mai", "Szandra")
    upgrade(revision=ENCRYPTION)

    downgrade(revision=BEFORE_ENCRYPTION)

    assert stored_aliases(ids) == [("Mai", None), ("Szandra", None)]
