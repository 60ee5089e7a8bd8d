"""Reading the organisation's audit log: the filtered events, newest first, with who did
each, and the same rows as a CSV file (through outreach.csvsafe, like every export)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from outreach import csvsafe
from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.db import db
from outreach.paging import paginate
from outreach.tenancy import scoped, scoped_outerjoin
from outreach.vocabulary import AUDIT_ACTIONS, AUDIT_OBJECT_TYPES, label

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")  # the days of the date filter are the team's days


@dataclass(frozen=True)
class AuditFilters:
    user_id: uuid.UUID | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: date | None = None  # first day, inclusive
    until: date | None = None  # last day, inclusive


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def _events(organisation_id: uuid.UUID, f: AuditFilters):
    stmt = scoped(select(AuditEvent, User), organisation_id, AuditEvent)
    stmt = scoped_outerjoin(
        stmt, User, User.id == AuditEvent.user_id, organisation_id, left=AuditEvent
    )
    if f.user_id:
        stmt = stmt.where(AuditEvent.user_id == f.user_id)
    if f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.object_type:
        stmt = stmt.where(AuditEvent.object_type == f.object_type)
    if f.object_id:
        stmt = stmt.where(AuditEvent.object_id == f.object_id)
    if f.since:
        stmt = stmt.where(AuditEvent.at >= _local_midnight(f.since))
    if f.until:
        stmt = stmt.where(AuditEvent.at < _local_midnight(f.until + timedelta(days=1)))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def list_events(organisation_id: uuid.UUID, f: AuditFilters, page: int, per_page: int):
    """(one page of (event, user or None) rows, how many match in all)."""
    return paginate(_events(organisation_id, f), page, per_page, rows=True)


def all_events(organisation_id: uuid.UUID, f: AuditFilters) -> list:
    return db.session.execute(_events(organisation_id, f)).all()


def detail_text(value) -> str:
    """A detail's value as one line: a dict as `key=value, ...`, a list joined by commas."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={detail_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(detail_text(v) for v in value)
    return "–" if value is None else str(value)


def details_line(details: dict) -> str:
    return "; ".join(f"{key}: {detail_text(value)}" for key, value in (details or {}).items())


def csv_file(rows: list, format_name: str) -> bytes:
    """The events as the spreadsheet of the user's language opens them (csvsafe.FORMATS)."""
    delimiter, decimal = csvsafe.FORMATS[format_name]
    header = [
        _("Time"),
        _("Email"),
        _("Name"),
        _("Action"),
        _("Action code"),
        _("About"),
        _("Record id"),
        _("Details"),
    ]
    lines = [header]
    for event, user in rows:
        lines.append(
            [
                event.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                user.email if user else "",
                user.name if user else "",
                label(AUDIT_ACTIONS, event.action),
                event.action,
                label(AUDIT_OBJECT_TYPES, event.object_type) if event.object_type else "",
                event.object_id or "",
                details_line(event.details),
            ]
        )
    return csvsafe.to_csv(lines, delimiter, decimal)
