"""Every state change of SMS outreach: an SmsContact made or replaced (with the do-not-contact
list and the per-number limit), and the organisation's SMS settings (templates, the team's
phone number, the limit)."""

import uuid
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from outreach import phones
from outreach.audit.services import record
from outreach.codes import language_codes
from outreach.db import db
from outreach.errors import FieldErrors
from outreach.i18n import N_
from outreach.leads.models import Lead
from outreach.orgs.models import Organisation
from outreach.plausibility import FUTURE_MESSAGE, in_future
from outreach.records import create_or_replace
from outreach.sms.models import DoNotContact, SmsContact
from outreach.sms.queries import (
    MAX_PERIOD_DAYS,
    MAX_TEMPLATE_LENGTH,
    MAX_TEMPLATES,
    etag,
    period_days,
    sms_settings,
)
from outreach.tenancy import get_in_org, reference_in_org, tenant_select

INPUT_FIELDS = (
    "lead_id",
    "phone",
    "language",
    "template_id",
    "sent_at",
    "outcome",
    "conversation_id",
    "notes",
)

ON_THE_LIST = N_(
    "This number asked not to be contacted: it is on the organisation's do-not-contact list."
)
WITHIN_LIMIT = N_(
    "This number was already texted by your organisation within %(days)s days "
    "(at most one text per number in that time)."
)


class SmsSettingsError(ValueError):
    """SMS settings that cannot be stored; the (lazy) message says why."""


# SmsContact ---------------------------------------------------------------------------------


def on_do_not_contact(organisation_id, phone_lookup: str) -> bool:
    stmt = tenant_select(DoNotContact, organisation_id).where(
        DoNotContact.phone_lookup == phone_lookup
    )
    return db.session.scalar(stmt) is not None


def texted_within(organisation_id, phone_lookup: str, sent_at, days: int, *, other_than=None):
    """Another stored text to the number less than `days` days before or after `sent_at`
    (phones that were offline deliver out of order: the earlier text may arrive second)."""
    window = timedelta(days=days)
    stmt = tenant_select(SmsContact, organisation_id).where(
        SmsContact.phone_lookup == phone_lookup,
        SmsContact.sent_at > sent_at - window,
        SmsContact.sent_at < sent_at + window,
    )
    if other_than is not None:
        stmt = stmt.where(SmsContact.id != other_than)
    return db.session.scalar(stmt.limit(1)) is not None


def _number(organisation_id, data: dict, errors: dict) -> None:
    """data["phone"] as E.164: the one given, else the lead's."""
    if data["lead_id"] is not None:
        lead = get_in_org(Lead, data["lead_id"], organisation_id)
        if lead is None:
            errors["lead_id"] = [N_("No lead with this id in your organisation.")]
        elif not data["phone"]:
            if not lead.phone:
                errors["lead_id"] = [N_("This lead has no phone number; give `phone`.")]
            data["phone"] = lead.phone
    if data["phone"]:
        try:
            data["phone"] = phones.normalise(data["phone"])
        except phones.InvalidPhone as error:
            errors["phone"] = [str(error)]


def _normalise(organisation_id, data: dict) -> dict:
    data = {f: data.get(f) for f in INPUT_FIELDS}
    if isinstance(data["notes"], str):
        data["notes"] = data["notes"].strip() or None
    errors: dict[str, list[str]] = {}
    _number(organisation_id, data, errors)
    if in_future(data["sent_at"]):
        errors["sent_at"] = [FUTURE_MESSAGE]
    cid = data["conversation_id"]
    if cid is not None and not reference_in_org(SmsContact.conversation_id, cid, organisation_id):
        errors["conversation_id"] = [N_("No conversation with this id in your organisation.")]
    if errors:
        raise FieldErrors(errors)
    return data


def _current_input(contact: SmsContact) -> dict:
    return {f: getattr(contact, f) for f in INPUT_FIELDS}


def _check_consent_and_limit(organisation_id, contact: SmsContact | None, data: dict) -> None:
    """A new text (or one moved to another number or time) to a number on the do-not-contact
    list, or texted within the limit, is refused on `phone`. Recording what came of a text
    already stored is never refused."""
    new_number = contact is None or contact.phone != data["phone"]
    moved = new_number or contact.sent_at != data["sent_at"]
    if not moved:
        return
    # One writer at a time per organisation (PostgreSQL: the organisation's row is locked to
    # the end of the transaction), so that two phones' texts to one number, arriving at the
    # same moment, cannot both pass the check. SQLite's write lock does the same already.
    db.session.get(Organisation, organisation_id, with_for_update=True)
    lookup = phones.lookup_hash(data["phone"])
    if new_number and on_do_not_contact(organisation_id, lookup):
        raise FieldErrors({"phone": [ON_THE_LIST]})
    days = period_days(db.session.get(Organisation, organisation_id))
    other_than = contact.id if contact is not None else None
    if texted_within(organisation_id, lookup, data["sent_at"], days, other_than=other_than):
        raise FieldErrors({"phone": [_l(WITHIN_LIMIT, days=days)]})


def add_to_do_not_contact(organisation_id, phone_lookup: str, actor=None) -> bool:
    if on_do_not_contact(organisation_id, phone_lookup):
        return False
    db.session.add(
        DoNotContact(
            organisation_id=organisation_id,
            phone_lookup=phone_lookup,
            added_by_id=actor.id if actor is not None else None,
        )
    )
    db.session.flush()
    return True


def put_sms_contact(user, contact_id: uuid.UUID, data: dict, if_match: str | None = None):
    """Create or replace an SMS contact (DESIGN.md §4). An outcome `opted_out` puts the number
    on the organisation's do-not-contact list, for good."""
    org_id = user.organisation_id
    data = _normalise(org_id, data)
    existing = get_in_org(SmsContact, contact_id, org_id)
    if existing is None or _current_input(existing) != data:
        _check_consent_and_limit(org_id, existing, data)

    def apply(contact: SmsContact, values: dict, created: bool) -> None:
        for field in INPUT_FIELDS:
            setattr(contact, field, values[field])

    result = create_or_replace(
        SmsContact,
        user,
        contact_id,
        data,
        if_match,
        etag=etag,
        current_input=_current_input,
        apply=apply,
    )
    if data["outcome"] == "opted_out":
        add_to_do_not_contact(org_id, phones.lookup_hash(data["phone"]), user)
    return result


# Settings: templates, the team's phone number, the limit -------------------------------------
#
# Stored in Organisation.settings["sms"]:
#   "templates": [{"id": "th-2", "language": "th", "body": "..."}]   one per language; the id
#       changes with each new wording ("th-1", "th-2"), so a contact says which text went out
#   "team_phone": "+4570101010"   E.164; filled in where a template says {phone}
#   "period_days": 14              at most one text per number in this many days


def _store(org: Organisation, sms: dict, actor, **details) -> None:
    settings = dict(org.settings or {})
    settings["sms"] = sms
    org.settings = settings  # a new dict: the JSON column does not track changes inside it
    db.session.flush()
    record("sms.templates", user=actor, organisation_id=org.id, obj=org, **details)


def set_template(org: Organisation, language: str, body: str, actor=None) -> bool:
    """Add or reword the template of a language. Returns whether it changed."""
    body = (body or "").strip()
    if language not in language_codes():
        raise SmsSettingsError(_l("Use an ISO 639-1 language code, e.g. th."))
    if not body:
        raise SmsSettingsError(_l("Write the message."))
    if len(body) > MAX_TEMPLATE_LENGTH:
        raise SmsSettingsError(_l("At most %(max)d characters.", max=MAX_TEMPLATE_LENGTH))
    sms = sms_settings(org)
    templates = [dict(entry) for entry in sms["templates"]]
    old = next((e for e in templates if e["language"] == language), None)
    if old is not None and old["body"] == body:
        return False
    if old is None and len(templates) >= MAX_TEMPLATES:
        raise SmsSettingsError(_l("At most %(max)d templates.", max=MAX_TEMPLATES))
    revision = int(old["id"].rsplit("-", 1)[1]) + 1 if old is not None else 1
    entry = {"id": f"{language}-{revision}", "language": language, "body": body}
    if old is None:
        templates.append(entry)
    else:
        templates[templates.index(old)] = entry
    _store(org, {**sms, "templates": templates}, actor, template=entry["id"])
    return True


def remove_template(org: Organisation, language: str, actor=None) -> bool:
    sms = sms_settings(org)
    templates = [e for e in sms["templates"] if e["language"] != language]
    if len(templates) == len(sms["templates"]):
        return False
    _store(org, {**sms, "templates": templates}, actor, removed=language)
    return True


def set_options(org: Organisation, team_phone: str | None, days: int, actor=None) -> bool:
    """The team's phone number (any usual writing, stored E.164) and the per-number limit."""
    team_phone = (team_phone or "").strip()
    if team_phone:
        try:
            team_phone = phones.normalise(team_phone)
        except phones.InvalidPhone as error:
            raise SmsSettingsError(_l(str(error))) from None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_PERIOD_DAYS:
        raise SmsSettingsError(
            _l("Give a whole number of days from 1 to %(max)d.", max=MAX_PERIOD_DAYS)
        )
    sms = sms_settings(org)
    new = {**sms, "team_phone": team_phone or None, "period_days": days}
    if new == sms:
        return False
    _store(org, new, actor, period_days=days)
    return True
