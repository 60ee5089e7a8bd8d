"""The one scoping helper: scoped() for joins and aggregates, unscoped() for the few reads that
span organisations, and the guard that fails a query on tenant rows built without either."""

import logging
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from outreach import paging
from outreach.clinics.models import Clinic
from outreach.config import ROOT
from outreach.db import db
from outreach.tenancy import (
    UnscopedQuery,
    reference_in_org,
    scoped,
    tenant_select,
    unscoped,
    unscoped_tenant_tables,
)
from outreach.visits.models import Visit

WHEN = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.fixture
def two_orgs(factory, org, other_org):
    """A clinic with two visits in `org`, and one with a visit in `other_org`."""
    ours = factory.clinic(org, name="Ours")
    factory.visit(ours, WHEN)
    factory.visit(ours, WHEN.replace(day=3))
    theirs = factory.clinic(other_org, name="Theirs")
    factory.visit(theirs, WHEN)
    db.session.flush()
    return ours, theirs


def run_as_application(stmt):
    """Execute through application code (paging), as a feature's query would be."""
    return paging.paginate(stmt, 1, 100, rows=True)


def test_a_query_on_tenant_rows_without_the_helper_fails(app, two_orgs):
    with pytest.raises(UnscopedQuery, match="clinics"):
        run_as_application(select(Clinic))


def test_a_scoped_join_and_aggregate_reads_only_the_organisations_rows(app, org, two_orgs):
    stmt = scoped(
        select(Clinic.name, func.count(Visit.id))
        .join(Visit, Visit.clinic_id == Clinic.id)
        .group_by(Clinic.name),
        org.id,
        Clinic,
        Visit,
    )

    rows, total = run_as_application(stmt)

    assert [tuple(r) for r in rows] == [("Ours", 2)]
    assert total == 1


def test_a_join_that_scopes_only_one_of_its_tenant_tables_fails(app, org, two_orgs):
    stmt = scoped(select(Clinic.name).join(Visit, Visit.clinic_id == Clinic.id), org.id, Clinic)

    assert unscoped_tenant_tables(stmt) == {"visits"}
    with pytest.raises(UnscopedQuery, match="visits"):
        run_as_application(stmt)


def test_an_unscoped_subquery_inside_a_scoped_statement_fails(app, org, two_orgs):
    last = (
        select(Visit.clinic_id, func.max(Visit.started_at).label("at"))
        .group_by(Visit.clinic_id)
        .subquery()
    )
    stmt = tenant_select(Clinic, org.id).join(last, Clinic.id == last.c.clinic_id)

    assert unscoped_tenant_tables(stmt) == {"visits"}


def test_a_bulk_update_of_tenant_rows_needs_the_helper_too(app, org):
    assert unscoped_tenant_tables(update(Clinic).values(name="x")) == {"clinics"}
    scoped_update = scoped(update(Clinic).values(name="x"), org.id, Clinic)
    assert unscoped_tenant_tables(scoped_update) == set()


def test_a_read_that_spans_organisations_says_why_and_passes(app, two_orgs):
    stmt = unscoped(select(Clinic), "a test of the marker")

    rows, total = run_as_application(stmt)

    assert total == 2


def test_the_guard_only_logs_when_set_to_warn(app, two_orgs, caplog):
    app.config["TENANCY_GUARD"] = "warn"
    with caplog.at_level(logging.WARNING, logger="outreach.tenancy"):
        rows, total = run_as_application(select(Clinic))
    assert total == 2
    assert "clinics not scoped to an organisation" in caplog.text


def test_a_test_may_look_at_the_whole_database_directly(app, two_orgs):
    # The guard judges the application's statements, not a test's own assertions.
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == 2


def test_a_reference_is_checked_in_the_callers_organisation(app, org, other_org, two_orgs):
    ours, theirs = two_orgs

    assert reference_in_org(Visit.clinic_id, ours.id, org.id)
    assert not reference_in_org(Visit.clinic_id, theirs.id, org.id)
    assert not reference_in_org(Visit.clinic_id, uuid.uuid4(), org.id)


def test_no_organisation_filter_is_written_by_hand_outside_tenancy():
    """Every tenant filter comes from tenancy.scoped(): a hand-written one is easy to forget
    on the next join, and hard to spot in review."""
    package = ROOT / "outreach"
    hand_written = re.compile(r"\.organisation_id\s*(==|!=|\.in_\()")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path != package / "tenancy.py"
        for number, line in enumerate(Path(path).read_text().splitlines(), start=1)
        if hand_written.search(line)
    ]
    assert found == []
