"""The report's screening section (issue 14): leads recorded, new clinics found through
screening and how many of them were visited, numbers texted, texts sent, replies, opt-outs and
conversations begun by SMS, for a period and each of its months (docs/reports.md has the
definitions). Rows of one period are read once and counted by local month here.

With a region filter, leads count by their region and clinics by theirs; texts and SMS
conversations belong to no region (as conversations outside visits, DESIGN.md §3) and count
only in the organisation's totals."""

from sqlalchemy import exists, select

from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.leads.models import Lead
from outreach.persons.models import Conversation
from outreach.reports.figures import LOCAL_TZ, Period, in_period
from outreach.sms.models import SmsContact
from outreach.tenancy import scoped
from outreach.visits.models import Visit

SCREENING_FIGURES = (
    "leads_recorded",
    "new_clinics",
    "new_clinics_visited",
    "numbers_texted",
    "texts_sent",
    "replies",
    "opt_outs",
    "sms_conversations",
)
# What counts as a reply: someone answered (the person, or a controller); opt-outs apart.
REPLY_OUTCOMES = ("reply", "controller_answered")


def _month(instant) -> int:
    return instant.astimezone(LOCAL_TZ).month


def _counts(rows, period: Period) -> tuple[dict, dict]:
    """({figure: total}, {month: {figure: n}}) of rows (month, figure, distinct key)."""
    months = [period.month] if period.month else list(range(1, 13))
    seen_total: dict[str, set] = {f: set() for f in SCREENING_FIGURES}
    seen_month = {m: {f: set() for f in SCREENING_FIGURES} for m in months}
    for month, figure, key in rows:
        seen_total[figure].add(key)
        seen_month[month][figure].add(key)
    total = {f: len(keys) for f, keys in seen_total.items()}
    by_month = {
        m: {f: len(keys) for f, keys in figures.items()} for m, figures in seen_month.items()
    }
    return total, by_month


def _rows(organisation_id, period: Period, region: str | None):
    org = organisation_id
    leads = scoped(select(Lead.id, Lead.first_seen), org, Lead).where(
        in_period(Lead.first_seen, period)
    )
    if region:
        leads = leads.where(Lead.region_slug == region)
    for lead_id, first_seen in db.session.execute(leads):
        yield _month(first_seen), "leads_recorded", lead_id

    visited = exists(
        scoped(select(Visit.id), org, Visit).where(
            Visit.clinic_id == Clinic.id, Visit.started_at < period.end
        )
    )
    clinics = scoped(select(Clinic.id, Clinic.created_at, visited), org, Clinic).where(
        Clinic.source == "screening", in_period(Clinic.created_at, period)
    )
    if region:
        clinics = clinics.where(Clinic.region_slug == region)
    for clinic_id, created_at, was_visited in db.session.execute(clinics):
        yield _month(created_at), "new_clinics", clinic_id
        if was_visited:
            yield _month(created_at), "new_clinics_visited", clinic_id

    if region:
        return  # texts and SMS conversations belong to no region
    texts = scoped(
        select(SmsContact.id, SmsContact.sent_at, SmsContact.phone_lookup, SmsContact.outcome),
        org,
        SmsContact,
    ).where(in_period(SmsContact.sent_at, period))
    for contact_id, sent_at, lookup, outcome in db.session.execute(texts):
        month = _month(sent_at)
        yield month, "texts_sent", contact_id
        yield month, "numbers_texted", lookup
        if outcome in REPLY_OUTCOMES:
            yield month, "replies", contact_id
        elif outcome == "opted_out":
            yield month, "opt_outs", contact_id
    conversations = scoped(
        select(Conversation.id, Conversation.occurred_at), org, Conversation
    ).where(Conversation.channel == "sms", in_period(Conversation.occurred_at, period))
    for conversation_id, occurred_at in db.session.execute(conversations):
        yield _month(occurred_at), "sms_conversations", conversation_id


def screening(organisation_id, period: Period, region: str | None = None) -> dict:
    """The `screening` object of the report: the period's figures, and for a year `by_month`
    (all 12 months, zeros included)."""
    total, by_month = _counts(_rows(organisation_id, period, region), period)
    result = dict(total)
    if period.month is None:
        result["by_month"] = [{"month": m, **figures} for m, figures in sorted(by_month.items())]
    return result
