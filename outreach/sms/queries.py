"""Reads of SMS outreach: the organisation's SMS settings, an SMS contact's representation and
ETag, one contact and the list (audited: they carry phone numbers), and what a phone needs to
text offline: the numbers to text and the templates, filled in for the sender; and the texts
to a phone number (its group's part: outreach/phonegroups.py)."""

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select

from outreach import phonegroups, phones
from outreach.audit.services import record
from outreach.db import db, utcnow
from outreach.leads.models import Lead
from outreach.orgs.models import Organisation
from outreach.paging import paginate
from outreach.phonegroups import Part
from outreach.records import compute_etag
from outreach.sms.models import DoNotContact, SmsContact
from outreach.sms.schemas import SmsContactOutSchema
from outreach.tenancy import get_in_org, scoped, tenant_select

DEFAULT_PERIOD_DAYS = 14
MAX_PERIOD_DAYS = 365
MAX_TEMPLATES = 30
MAX_TEMPLATE_LENGTH = 640  # four SMS parts of 160 characters
MINE_DAYS = 30  # the phone lists the nurse's own texts of this many days, to record outcomes
# A template names what is filled in for each text.
# The languages of the people the team meets most (the annual report); offered first in the
# template picker after those the organisation's templates and leads already use.
LIKELY_LANGUAGES = ("da", "en", "th", "ro", "es", "bg", "zh")

SENDER_FIELD = "{name}"
TEAM_PHONE_FIELD = "{phone}"


def sms_settings(org: Organisation) -> dict:
    """Organisation.settings["sms"] with its defaults filled in (services.py says what it
    holds)."""
    sms = (org.settings or {}).get("sms") or {}
    return {
        "templates": list(sms.get("templates", [])),
        "team_phone": org.team_phone,
        "period_days": sms.get("period_days", DEFAULT_PERIOD_DAYS),
    }


def period_days(org: Organisation) -> int:
    return sms_settings(org)["period_days"]


def fill(body: str, sender: str, team_phone: str | None) -> str:
    """A template as it is sent: the sender's name and the team's number filled in."""
    number = phones.display(team_phone) if team_phone else ""
    return body.replace(SENDER_FIELD, sender).replace(TEAM_PHONE_FIELD, number)


def representation(contact: SmsContact) -> dict:
    return SmsContactOutSchema().dump(contact)


def etag(contact: SmsContact) -> str:
    return compute_etag(representation(contact))


def read_contact(user, contact_id) -> SmsContact | None:
    contact = get_in_org(SmsContact, contact_id, user.organisation_id)
    if contact is not None:
        record("sms_contact.read", user=user, obj=contact)
    return contact


def list_contacts(
    user, *, since=None, until=None, outcome=None, lead_id=None, page=1, per_page=100
):
    """(contacts newest first, total); the listing is audited once, with how many."""
    stmt = tenant_select(SmsContact, user.organisation_id)
    if since:
        stmt = stmt.where(SmsContact.sent_at >= since)
    if until:
        stmt = stmt.where(SmsContact.sent_at < until)
    if outcome:
        stmt = stmt.where(SmsContact.outcome == outcome)
    if lead_id:
        stmt = stmt.where(SmsContact.lead_id == lead_id)
    items, total = paginate(stmt.order_by(SmsContact.sent_at.desc(), SmsContact.id), page, per_page)
    record("sms_contact.list", user=user, object_type="sms_contacts", count=len(items), page=page)
    return items, total


def do_not_contact_lookups(organisation_id) -> set[str]:
    stmt = scoped(select(DoNotContact.phone_lookup), organisation_id, DoNotContact)
    return set(db.session.scalars(stmt))


def do_not_contact_count(organisation_id) -> int:
    stmt = scoped(select(func.count()).select_from(DoNotContact), organisation_id, DoNotContact)
    return db.session.scalar(stmt) or 0


def last_texted(organisation_id) -> dict[str, object]:
    """{phone_lookup: the time of the number's latest text}."""
    stmt = scoped(
        select(SmsContact.phone_lookup, func.max(SmsContact.sent_at)).group_by(
            SmsContact.phone_lookup
        ),
        organisation_id,
        SmsContact,
    )
    return dict(db.session.execute(stmt).all())


def numbers_to_text(organisation_id, days: int) -> list[dict]:
    """One entry per number of the organisation's leads (not dismissed), newest lead first;
    numbers on the do-not-contact list are left out here, on the server, where the keyed hash
    can be compared: the phone never sees them."""
    stmt = scoped(
        select(
            Lead.id,
            Lead.phone_lookup,
            Lead.phone.column,
            Lead.alias.column,
            Lead.site,
            Lead.languages,
            Lead.last_seen,
        ).where(Lead.phone_lookup.is_not(None), Lead.status != "dismissed"),
        organisation_id,
        Lead,
    ).order_by(Lead.last_seen.desc(), Lead.id)
    blocked = do_not_contact_lookups(organisation_id)
    texted = last_texted(organisation_id)
    grouped: dict[str, dict] = {}
    for lead_id, lookup, sealed_phone, sealed_alias, site, languages, seen in db.session.execute(
        stmt
    ):
        if lookup in blocked:
            continue
        entry = grouped.get(lookup)
        if entry is None:
            last = texted.get(lookup)
            entry = grouped[lookup] = {
                "lead_id": lead_id,
                "phone": Lead.phone.open(lead_id, sealed_phone),
                "alias": Lead.alias.open(lead_id, sealed_alias),
                "site": site,
                "last_seen": seen,
                "languages": [],
                "leads": 0,
                "last_texted_at": last,
                "next_allowed_at": last + timedelta(days=days) if last else None,
            }
        entry["leads"] += 1
        for language in languages or []:
            if language not in entry["languages"]:
                entry["languages"].append(language)
    return list(grouped.values())


def to_text(user) -> dict:
    """What the phone keeps to text offline (GET /api/v1/sms-contacts/to-text); audited by
    the caller, with how many numbers it handed out."""
    org = db.session.get(Organisation, user.organisation_id)
    sms = sms_settings(org)
    since = utcnow() - timedelta(days=MINE_DAYS)
    mine = db.session.scalars(
        tenant_select(SmsContact, org.id)
        .where(SmsContact.created_by_id == user.id, SmsContact.sent_at >= since)
        .order_by(SmsContact.sent_at.desc())
    ).all()
    return {
        "period_days": sms["period_days"],
        "team_phone": sms["team_phone"],
        "templates": [
            {**entry, "body": fill(entry["body"], user.display_name, sms["team_phone"])}
            for entry in sms["templates"]
        ],
        "numbers": numbers_to_text(org.id, sms["period_days"]),
        "mine": mine,
    }


def likely_languages(org: Organisation) -> list[str]:
    """The languages to offer first for a template: those its templates have, then those of
    its leads (the most frequent first), then LIKELY_LANGUAGES."""
    counts: Counter[str] = Counter()
    for languages in db.session.scalars(scoped(select(Lead.languages), org.id, Lead)):
        counts.update(languages or [])
    used = [entry["language"] for entry in sms_settings(org)["templates"]]
    by_leads = [code for code, _ in sorted(counts.items(), key=lambda c: (-c[1], c[0]))]
    return list(dict.fromkeys([*used, *by_leads, *LIKELY_LANGUAGES]))


# Phone-number groups (outreach/phonegroups.py): the texts to a number ----------------------


def _texts_to_numbers(organisation_id, lookups: Sequence[str] | None) -> dict[str, Part]:
    """{look-up hash: how many texts, the latest, how many replies, whether the number is on
    the do-not-contact list}; by hash only."""
    stmt = select(
        SmsContact.phone_lookup,
        func.count(),
        func.max(SmsContact.sent_at),
        func.count().filter(SmsContact.outcome == "reply"),
    )
    if lookups is not None:
        stmt = stmt.where(SmsContact.phone_lookup.in_(list(lookups)))
    rows = db.session.execute(
        scoped(stmt.group_by(SmsContact.phone_lookup), organisation_id, SmsContact)
    )
    blocked = do_not_contact_lookups(organisation_id)
    return {
        lookup: Part(
            count,
            last,
            {"last_sent": last, "replies": replies, "do_not_contact": lookup in blocked},
        )
        for lookup, count, last, replies in rows
    }


def _texts_with_numbers(organisation_id, lookups: Sequence[str]) -> dict[str, list[SmsContact]]:
    found: dict[str, list[SmsContact]] = {}
    stmt = tenant_select(SmsContact, organisation_id).where(
        SmsContact.phone_lookup.in_(list(lookups))
    )
    for contact in db.session.scalars(stmt.order_by(SmsContact.sent_at.desc(), SmsContact.id)):
        found.setdefault(contact.phone_lookup, []).append(contact)
    return found


phonegroups.register(
    phonegroups.Source("sms", _texts_to_numbers, _texts_with_numbers, places=False)
)
