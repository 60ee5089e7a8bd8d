"""Every state change of persons and conversations: create-or-replace, merge and unmerge, and
the sync numbers that tell phones what changed. Reads are in queries.py."""

import secrets
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from outreach.audit.services import record
from outreach.changes import stamp
from outreach.db import db, utcnow
from outreach.errors import FieldErrors
from outreach.i18n import N_
from outreach.orgs.queries import check_codes
from outreach.persons import queries
from outreach.persons.models import Conversation, Person, PersonMerge, PersonSearch
from outreach.persons.queries import conversation_etag, person_etag
from outreach.plausibility import FUTURE_MESSAGE, in_future
from outreach.records import NotAllowed, create_or_replace
from outreach.tenancy import get_in_org, scoped, tenant_select
from outreach.visits.models import Visit
from outreach.visits.services import visit_changed

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


# Conversations -------------------------------------------------------------------------


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
    if in_future(data["occurred_at"]):
        errors["occurred_at"] = [FUTURE_MESSAGE]
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
    canonical = (
        tenant_select(Person, organisation_id)
        .with_only_columns(Person.canonical_id)
        .where(Person.id.in_(list(person_ids)))
    )
    for person in db.session.scalars(
        tenant_select(Person, organisation_id).where(Person.canonical_id.in_(canonical))
    ):
        stamp(person)


def touch_persons_met_in(visit: Visit) -> None:
    """The visit moved to another clinic: the persons met in it were met somewhere else."""
    person_ids = db.session.scalars(
        tenant_select(Conversation, visit.organisation_id)
        .with_only_columns(Conversation.person_id)
        .where(Conversation.visit_id == visit.id)
        .distinct()
    ).all()
    if person_ids:
        touch_index(visit.organisation_id, person_ids)


def follow_visit_time(visit: Visit) -> None:
    """Conversations that took their time from the visit move with it."""
    for conversation in db.session.scalars(
        tenant_select(Conversation, visit.organisation_id).where(
            Conversation.visit_id == visit.id, Conversation.occurred_at_given.is_(False)
        )
    ):
        if conversation.occurred_at != visit.started_at:
            conversation.occurred_at = visit.started_at
            stamp(conversation)


@visit_changed.connect
def _follow_visit(visit: Visit, moved: bool) -> None:
    """A stored visit was replaced: its conversations follow its time, and a visit moved to
    another clinic changes where her index says she was met."""
    follow_visit_time(visit)
    if moved:
        touch_persons_met_in(visit)


# Merging -------------------------------------------------------------------------------


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
    for person in queries.group(org_id, source.canonical_id):
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
    source = get_in_org(Person, merge.source_id, org_id)
    if merge.undone_at is not None or source.merged_into_id != merge.target_id:
        raise MergeError(_l("This merge has already been undone."))
    group = queries.group(org_id, source.canonical_id)
    source.merged_into_id = None
    by_id = {p.id: p for p in group}

    def root(person: Person) -> uuid.UUID:
        seen = set()
        while person.merged_into_id is not None and person.id not in seen:
            seen.add(person.id)
            person = by_id.get(person.merged_into_id) or get_in_org(
                Person, person.merged_into_id, org_id
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


# Searches of the persons list ----------------------------------------------------------


def save_search(user, query: str, filters: queries.Filters) -> PersonSearch:
    """Keep a search of the persons list under a new random id (persons/models.py says why),
    and forget the organisation's searches older than queries.SEARCH_KEPT."""
    org_id = user.organisation_id
    expired = delete(PersonSearch).where(PersonSearch.created_at < utcnow() - queries.SEARCH_KEPT)
    db.session.execute(scoped(expired, org_id, PersonSearch))
    search = PersonSearch(
        id=secrets.token_urlsafe(16),
        organisation_id=org_id,
        user_id=user.id,
        query=query,
        nationality=filters.nationality,
        gender=filters.gender,
        merged=filters.merged,
    )
    db.session.add(search)
    db.session.flush()
    return search
