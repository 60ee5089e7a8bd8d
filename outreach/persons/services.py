"""Every state change of persons and conversations: create-or-replace, merge and unmerge;
and the person-level questions the figures ask (first contact, suggestions)."""

import uuid
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from outreach.audit.services import record
from outreach.changes import stamp
from outreach.db import db, utcnow
from outreach.errors import FieldErrors
from outreach.i18n import N_
from outreach.paging import paginate
from outreach.persons import matching
from outreach.persons.models import Conversation, Person, PersonMerge
from outreach.persons.schemas import ConversationOutSchema, PersonOutSchema
from outreach.records import NotAllowed, compute_etag, create_or_replace
from outreach.tenancy import get_in_org, tenant_select
from outreach.visits.models import Visit
from outreach.visits.services import check_codes

PERSON_FIELDS = ("alias", "nationality", "birth_year", "gender", "languages")
CONVERSATION_FIELDS = (
    "person_id",
    "visit_id",
    "channel",
    "occurred_at",
    "topics",
    "language",
    "interpreter_used",
    "concern_level",
    "indicators",
    "referral",
    "follow_up_needed",
    "notes",
)


class MergeError(ValueError):
    """A merge or unmerge that cannot be done; the message says why.

    Messages here and in NotAllowed stay lazy: str(error) translates them in the request that
    answers, and a service called outside a request (a job, a test) does not need a locale."""


# Persons ---------------------------------------------------------------------------------


def person_etag(person: Person) -> str:
    return compute_etag(PersonOutSchema().dump(person))


def _person_input(person: Person) -> dict:
    return {f: getattr(person, f) for f in PERSON_FIELDS}


def _apply_person(person: Person, data: dict, created: bool) -> None:
    for field in PERSON_FIELDS:
        setattr(person, field, data[field])
    if created:
        person.canonical_id = person.id


def put_person(user, person_id: uuid.UUID, data: dict, if_match: str | None = None):
    data = {f: data.get(f) for f in PERSON_FIELDS}
    data["alias"] = " ".join(data["alias"].split())
    data["languages"] = sorted(set(data["languages"] or []))
    return create_or_replace(
        Person,
        user,
        person_id,
        data,
        if_match,
        etag=person_etag,
        current_input=_person_input,
        apply=_apply_person,
    )


def read_person(user, person_id) -> Person | None:
    """One person's record; every read is audited (SECURITY.md 20)."""
    person = get_in_org(Person, person_id, user.organisation_id)
    if person is not None:
        record("person.read", user=user, obj=person)
    return person


def list_persons(
    user,
    *,
    nationality=None,
    gender=None,
    include_merged: bool = False,
    page: int = 1,
    per_page: int = 100,
):
    """(persons newest first, total); the listing is audited once, like a read."""
    stmt = tenant_select(Person, user.organisation_id)
    if nationality:
        stmt = stmt.where(Person.nationality == nationality)
    if gender:
        stmt = stmt.where(Person.gender == gender)
    if not include_merged:
        stmt = stmt.where(Person.merged_into_id.is_(None))
    items, total = paginate(stmt.order_by(Person.created_at.desc(), Person.id), page, per_page)
    record(
        "person.list",
        user=user,
        object_type="persons",
        count=len(items),
        page=page,
    )
    return items, total


# Conversations -------------------------------------------------------------------------


def conversation_etag(conversation: Conversation) -> str:
    return compute_etag(ConversationOutSchema().dump(conversation))


def _conversation_input(conversation: Conversation) -> dict:
    values = {f: getattr(conversation, f) for f in CONVERSATION_FIELDS}
    if not conversation.occurred_at_given:
        values["occurred_at"] = None
    return values


def put_conversation(user, conversation_id: uuid.UUID, data: dict, if_match: str | None = None):
    org_id = user.organisation_id
    data = {f: data.get(f) for f in CONVERSATION_FIELDS}
    data["topics"] = sorted(set(data["topics"] or []))
    data["indicators"] = sorted(set(data["indicators"] or []))
    if isinstance(data["notes"], str):
        data["notes"] = data["notes"].strip() or None
    errors: dict[str, list[str]] = {}
    if get_in_org(Person, data["person_id"], org_id) is None:
        errors["person_id"] = [N_("No person with this id in your organisation.")]
    visit = None
    if data["visit_id"] is not None:
        visit = get_in_org(Visit, data["visit_id"], org_id)
        if visit is None:
            errors["visit_id"] = [N_("No visit with this id in your organisation.")]
    check_codes(org_id, "indicators", "indicators", data["indicators"], errors)
    if errors:
        raise FieldErrors(errors)

    def apply(conversation: Conversation, values: dict, created: bool) -> None:
        # Where she was met changed: the phone's index entries must be pulled again.
        touched = {values["person_id"]}
        if not created:
            touched.add(conversation.person_id)
        for field in CONVERSATION_FIELDS:
            setattr(conversation, field, values[field])
        conversation.occurred_at_given = values["occurred_at"] is not None
        if values["occurred_at"] is None:
            conversation.occurred_at = visit.started_at
        touch_index(org_id, touched)

    return create_or_replace(
        Conversation,
        user,
        conversation_id,
        data,
        if_match,
        etag=conversation_etag,
        current_input=_conversation_input,
        apply=apply,
    )


def touch_index(organisation_id, person_ids) -> None:
    """Give new sync numbers to these persons and everyone counted as the same person: their
    entries in the phone's index share the recent clinics of the whole group."""
    canonical = select(Person.canonical_id).where(Person.id.in_(list(person_ids)))
    for person in db.session.scalars(
        tenant_select(Person, organisation_id).where(Person.canonical_id.in_(canonical))
    ):
        stamp(person)


def touch_persons_met_in(visit: Visit) -> None:
    """The visit moved to another clinic: the persons met in it were met somewhere else."""
    person_ids = db.session.scalars(
        select(Conversation.person_id).where(Conversation.visit_id == visit.id).distinct()
    ).all()
    if person_ids:
        touch_index(visit.organisation_id, person_ids)


def follow_visit_time(visit: Visit) -> None:
    """Conversations that took their time from the visit move with it."""
    for conversation in db.session.scalars(
        select(Conversation).where(
            Conversation.visit_id == visit.id, Conversation.occurred_at_given.is_(False)
        )
    ):
        if conversation.occurred_at != visit.started_at:
            conversation.occurred_at = visit.started_at
            stamp(conversation)


# Merging -------------------------------------------------------------------------------


def _group(organisation_id, canonical_id) -> list[Person]:
    return list(
        db.session.scalars(
            tenant_select(Person, organisation_id).where(Person.canonical_id == canonical_id)
        )
    )


def merge_persons(user, source_id, target_id) -> PersonMerge:
    """Count `source` as `target` from now on, everywhere; undone by unmerge_persons."""
    if not user.has_role("coordinator"):
        raise NotAllowed(_l("Only coordinators can merge persons."))
    org_id = user.organisation_id
    source = get_in_org(Person, source_id, org_id)
    target = get_in_org(Person, target_id, org_id)
    errors = {}
    if source is None:
        errors["source_id"] = [N_("No person with this id in your organisation.")]
    if target is None:
        errors["target_id"] = [N_("No person with this id in your organisation.")]
    if errors:
        raise FieldErrors(errors)
    if source.id == target.id or source.canonical_id == target.canonical_id:
        raise MergeError(_l("These two records are already the same person."))
    if source.merged_into_id is not None:
        raise MergeError(_l("This person is already merged into another; merge that one."))
    new_canonical = target.canonical_id
    for person in _group(org_id, source.canonical_id):
        person.canonical_id = new_canonical
        stamp(person)
    source.merged_into_id = target.id
    merge = PersonMerge(
        organisation_id=org_id, source_id=source.id, target_id=target.id, merged_by_id=user.id
    )
    db.session.add(merge)
    db.session.flush()
    record("person.merge", user=user, obj=merge, source=str(source.id), target=str(target.id))
    return merge


def unmerge_persons(user, merge_id) -> PersonMerge:
    if not user.has_role("coordinator"):
        raise NotAllowed(_l("Only coordinators can undo a merge."))
    org_id = user.organisation_id
    merge = get_in_org(PersonMerge, merge_id, org_id)
    if merge is None:
        raise FieldErrors({"merge_id": [N_("No merge with this id in your organisation.")]})
    source = db.session.get(Person, merge.source_id)
    if merge.undone_at is not None or source.merged_into_id != merge.target_id:
        raise MergeError(_l("This merge has already been undone."))
    group = _group(org_id, source.canonical_id)
    source.merged_into_id = None
    by_id = {p.id: p for p in group}

    def root(person: Person) -> uuid.UUID:
        seen = set()
        while person.merged_into_id is not None and person.id not in seen:
            seen.add(person.id)
            person = by_id.get(person.merged_into_id) or db.session.get(
                Person, person.merged_into_id
            )
        return person.id

    for person in group:
        new_root = root(person)
        if person.canonical_id != new_root:
            person.canonical_id = new_root
            stamp(person)
    merge.undone_at = utcnow()
    merge.undone_by_id = user.id
    db.session.flush()
    record(
        "person.unmerge",
        user=user,
        obj=merge,
        source=str(merge.source_id),
        target=str(merge.target_id),
    )
    return merge


# Questions the figures and the phone ask ---------------------------------------------------


def first_contact_at(organisation_id, person: Person) -> datetime | None:
    """When the organisation first talked to this person, merged records included."""
    return db.session.scalar(
        select(func.min(Conversation.occurred_at))
        .join(Person, Person.id == Conversation.person_id)
        .where(
            Conversation.organisation_id == organisation_id,
            Person.canonical_id == person.canonical_id,
        )
    )


def first_time_person_ids(organisation_id, start: datetime, end: datetime) -> set[uuid.UUID]:
    """Canonical ids of persons whose first-ever conversation falls in [start, end)."""
    first = (
        select(Person.canonical_id.label("pid"), func.min(Conversation.occurred_at).label("at"))
        .join(Person, Person.id == Conversation.person_id)
        .where(Conversation.organisation_id == organisation_id)
        .group_by(Person.canonical_id)
        .subquery()
    )
    return set(db.session.scalars(select(first.c.pid).where(first.c.at >= start, first.c.at < end)))


RECENT_DAYS = 180


def person_index(organisation_id, include_merged: bool = False) -> list[dict]:
    """The minimal index the phone keeps for matching: nothing but what matching needs.
    Merged duplicates are left out, or (for sync) included with merged_into_id so the phone
    can drop them."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    recent = (
        select(Person.canonical_id, Visit.clinic_id)
        .join(Conversation, Conversation.person_id == Person.id)
        .join(Visit, Visit.id == Conversation.visit_id)
        .where(Person.organisation_id == organisation_id, Visit.started_at >= since)
        .distinct()
    )
    clinics: dict = {}
    for person_id, clinic_id in db.session.execute(recent):
        clinics.setdefault(person_id, []).append(str(clinic_id))
    stmt = tenant_select(Person, organisation_id)
    if not include_merged:
        stmt = stmt.where(Person.merged_into_id.is_(None))
    return [
        {
            "id": str(p.id),
            "alias": p.alias,
            "nationality": p.nationality,
            "birth_year": p.birth_year,
            "gender": p.gender,
            "recent_clinic_ids": clinics.get(p.canonical_id, []),
            "merged_into_id": str(p.canonical_id) if p.merged_into_id else None,
        }
        for p in db.session.scalars(stmt)
    ]


def list_conversations(
    organisation_id, *, person_id=None, visit_id=None, page: int = 1, per_page: int = 100
) -> tuple[list, int]:
    """(conversations newest first, total)."""
    stmt = tenant_select(Conversation, organisation_id)
    if person_id:
        stmt = stmt.where(Conversation.person_id == person_id)
    if visit_id:
        stmt = stmt.where(Conversation.visit_id == visit_id)
    order = (Conversation.occurred_at.desc(), Conversation.id)
    return paginate(stmt.order_by(*order), page, per_page)


def suggestions(
    user, alias: str, nationality=None, birth_year=None, clinic_id=None, limit: int = 10
):
    """Persons met before who may be this one, best first: [(person, score, reasons)]."""
    index = person_index(user.organisation_id)
    query = {
        "alias": alias,
        "nationality": nationality,
        "birth_year": birth_year,
        "clinic_id": str(clinic_id) if clinic_id else None,
    }
    ranked = matching.rank(query, index, limit)
    persons = (
        {
            p.id: p
            for p in db.session.scalars(
                select(Person).where(Person.id.in_([uuid.UUID(c["id"]) for c, _, _ in ranked]))
            )
        }
        if ranked
        else {}
    )
    if ranked:  # person records were read: audited, with how many (SECURITY.md 20)
        record("person.suggestions", user=user, object_type="persons", count=len(ranked))
    return [(persons[uuid.UUID(c["id"])], s, reasons) for c, s, reasons in ranked]
