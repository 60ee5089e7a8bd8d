"""Reads of visits: the representation and its ETag, one visit and the organisation's visit
list. A visit carries notes and the police note, so both reads are audited here, at the read
(docs/security.md): the event is added to the session and the caller commits it."""

from outreach.audit.services import record
from outreach.paging import paginate
from outreach.records import compute_etag
from outreach.tenancy import get_in_org, tenant_select
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitOutSchema


def representation(visit: Visit) -> dict:
    return VisitOutSchema().dump(visit)


def etag(visit: Visit) -> str:
    return compute_etag(representation(visit))


def read_visit(user, visit_id) -> Visit | None:
    """One visit of the caller's organisation; every read is audited."""
    visit = get_in_org(Visit, visit_id, user.organisation_id)
    if visit is not None:
        record("visit.read", user=user, obj=visit)
    return visit


def list_visits(
    user,
    *,
    clinic_id=None,
    since=None,
    until=None,
    outcome=None,
    page: int = 1,
    per_page: int = 100,
):
    """(visits newest first, total); the listing is audited once, with how many it handed out."""
    stmt = tenant_select(Visit, user.organisation_id)
    if clinic_id:
        stmt = stmt.where(Visit.clinic_id == clinic_id)
    if since:
        stmt = stmt.where(Visit.started_at >= since)
    if until:
        stmt = stmt.where(Visit.started_at < until)
    if outcome:
        stmt = stmt.where(Visit.outcome == outcome)
    items, total = paginate(stmt.order_by(Visit.started_at.desc(), Visit.id), page, per_page)
    record("visit.list", user=user, object_type="visits", count=len(items), page=page)
    return items, total
