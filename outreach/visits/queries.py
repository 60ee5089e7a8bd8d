"""Reads of visits: the representation and its ETag, and the organisation's visit list."""

from outreach.paging import paginate
from outreach.records import compute_etag
from outreach.tenancy import tenant_select
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitOutSchema


def representation(visit: Visit) -> dict:
    return VisitOutSchema().dump(visit)


def etag(visit: Visit) -> str:
    return compute_etag(representation(visit))


def list_visits(
    organisation_id,
    *,
    clinic_id=None,
    since=None,
    until=None,
    outcome=None,
    page: int = 1,
    per_page: int = 100,
):
    stmt = tenant_select(Visit, organisation_id)
    if clinic_id:
        stmt = stmt.where(Visit.clinic_id == clinic_id)
    if since:
        stmt = stmt.where(Visit.started_at >= since)
    if until:
        stmt = stmt.where(Visit.started_at < until)
    if outcome:
        stmt = stmt.where(Visit.outcome == outcome)
    return paginate(stmt.order_by(Visit.started_at.desc(), Visit.id), page, per_page)
