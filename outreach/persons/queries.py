"""Reads of persons and conversations, all scoped to one organisation: the representations and
their ETags, the lists, the person-level questions the figures and the phone ask (first
contact, the matching index, suggestions), and what the persons pages show.

Reads that hand out a person's record or the index are audited here, at the read
(SECURITY.md 20): the audit event is added to the session, and the request commits it."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.changes import committed_seq, has_stamped_rows
from outreach.clinics.models import Clinic
from outreach.db import db, utcnow
from outreach.paging import paginate
from outreach.persons import matching
from outreach.persons.models import (
    Conversation,
    Person,
    PersonMerge,
    PersonSearch,
    PersonTombstone,
)
from outreach.persons.schemas import ConversationOutSchema, PersonOutSchema
from outreach.records import compute_etag
from outreach.tenancy import get_in_org, scoped, scoped_outerjoin, tenant_select
from outreach.visits.models import Visit

RECENT_DAYS = 180  # a clinic where she was met this recently helps matching
SEARCH_KEPT = timedelta(hours=8)  # a search's results page works this long (Back, reload)


# Representations ---------------------------------------------------------------------------


def person_etag(person: Person) -> str:
    return compute_etag(PersonOutSchema().dump(person))


def conversation_etag(conversation: Conversation) -> str:
    return compute_etag(ConversationOutSchema().dump(conversation))


# The API's reads ---------------------------------------------------------------------------


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
    record("person.list", user=user, object_type="persons", count=len(items), page=page)
    return items, total


def read_conversation(user, conversation_id) -> Conversation | None:
    """One conversation; every read is audited (its notes are about a person)."""
    conversation = get_in_org(Conversation, conversation_id, user.organisation_id)
    if conversation is not None:
        record("conversation.read", user=user, obj=conversation)
    return conversation


def list_conversations(
    user, *, person_id=None, visit_id=None, page: int = 1, per_page: int = 100
) -> tuple[list, int]:
    """(conversations newest first, total); the listing is audited once."""
    stmt = tenant_select(Conversation, user.organisation_id)
    if person_id:
        stmt = stmt.where(Conversation.person_id == person_id)
    if visit_id:
        stmt = stmt.where(Conversation.visit_id == visit_id)
    order = (Conversation.occurred_at.desc(), Conversation.id)
    items, total = paginate(stmt.order_by(*order), page, per_page)
    record("conversation.list", user=user, object_type="conversations", count=len(items), page=page)
    return items, total


# Questions the figures and the phone ask -----------------------------------------------------


def first_contact_at(organisation_id, person: Person) -> datetime | None:
    """When the organisation first talked to this person, merged records included."""
    stmt = (
        select(func.min(Conversation.occurred_at))
        .join(Person, Person.id == Conversation.person_id)
        .where(Person.canonical_id == person.canonical_id)
    )
    return db.session.scalar(scoped(stmt, organisation_id, Conversation, Person))


def first_time_person_ids(organisation_id, start: datetime, end: datetime) -> set[uuid.UUID]:
    """Canonical ids of persons whose first-ever conversation falls in [start, end)."""
    first = _per_person(organisation_id, func.min)
    return set(db.session.scalars(select(first.c.pid).where(first.c.at >= start, first.c.at < end)))


def _per_person(organisation_id, aggregate):
    """A subquery of (pid: canonical id, at: `aggregate` of her conversations' times): merged
    records count as one person."""
    return scoped(
        select(Person.canonical_id.label("pid"), aggregate(Conversation.occurred_at).label("at"))
        .join_from(Person, Conversation, Conversation.person_id == Person.id)
        .group_by(Person.canonical_id),
        organisation_id,
        Person,
        Conversation,
    ).subquery()


# The person index of each organisation as last read, {(organisation id, include_merged):
# _KeptIndex}. Every change that alters a person's entry gives her (and everyone counted as
# the same person) the organisation's next change number, as the phones' copy of the index
# needs (services.touch_index), and the retention purge numbers a tombstone. So the index at a
# later number is the kept one with the entries of the persons numbered since then read again
# and the deleted ones dropped: a suggestion after a colleague saved a conversation reads a
# few rows, not 20,000 (docs/performance.md). Each hour it is read whole (the window of recent
# clinics moves). Plaintext aliases stay in the process's memory, as they do while any page
# shows them. Off in the test suite (PERSON_INDEX_CACHE): its rolled-back savepoints hand out
# the same number twice.
_INDEX_CACHE: dict = {}
# More persons changed than this since the kept index: read it whole instead.
INDEX_REFRESH_LIMIT = 2_000


@dataclass(frozen=True)
class _KeptIndex:
    seq: int
    hour: str
    entries: dict  # {person id (str): index entry}, in the order of the list
    groups: dict  # {person id (str): canonical id (str)}, merged records included
    index: list


def person_index(organisation_id, include_merged: bool = False) -> list[dict]:
    """read_person_index, kept per organisation and brought up to date from the persons
    changed since (read-only: shared by every request of the process)."""
    if not current_app.config["PERSON_INDEX_CACHE"] or has_stamped_rows(db.session()):
        return read_person_index(organisation_id, include_merged)
    seq, hour = committed_seq(organisation_id), utcnow().strftime("%Y-%m-%dT%H")
    key = (organisation_id, include_merged)
    kept = _INDEX_CACHE.get(key)
    if kept is not None and kept.hour == hour and kept.seq == seq:
        return kept.index
    fresh = None
    if kept is not None and kept.hour == hour and kept.seq < seq:
        fresh = _brought_up_to_date(organisation_id, include_merged, kept, seq)
    if fresh is None:
        entries, groups = {}, {}
        for entry, canonical in _read_entries(organisation_id):
            groups[entry["id"]] = canonical
            if include_merged or entry["merged_into_id"] is None:
                entries[entry["id"]] = entry
        fresh = _KeptIndex(seq, hour, entries, groups, list(entries.values()))
    _INDEX_CACHE[key] = fresh
    return fresh.index


def _brought_up_to_date(organisation_id, include_merged, kept: _KeptIndex, seq: int):
    """The kept index with the persons numbered after kept.seq read again (their whole
    groups, before and after a merge or an undo) and the deleted ones dropped; None when so
    many changed that a whole read is cheaper."""
    changed = db.session.execute(
        scoped(
            select(Person.id, Person.canonical_id).where(Person.sync_seq > kept.seq),
            organisation_id,
            Person,
        ).limit(INDEX_REFRESH_LIMIT + 1)
    ).all()
    if len(changed) > INDEX_REFRESH_LIMIT:
        return None
    gone = {
        str(pid)
        for pid in db.session.scalars(
            scoped(
                select(PersonTombstone.person_id).where(PersonTombstone.sync_seq > kept.seq),
                organisation_id,
                PersonTombstone,
            )
        )
    }
    groups = {str(canonical) for _, canonical in changed}
    groups |= {kept.groups[str(pid)] for pid, _ in changed if str(pid) in kept.groups}
    entries, members = dict(kept.entries), dict(kept.groups)
    for pid, canonical in list(members.items()):
        if canonical in groups or pid in gone:
            entries.pop(pid, None)
            del members[pid]
    if groups:
        ids = [uuid.UUID(g) for g in groups]
        for entry, canonical in _read_entries(organisation_id, ids):
            members[entry["id"]] = canonical
            if include_merged or entry["merged_into_id"] is None:
                entries[entry["id"]] = entry
    return _KeptIndex(seq, kept.hour, entries, members, list(entries.values()))


def read_person_index(organisation_id, include_merged: bool = False) -> list[dict]:
    """The minimal index the phone keeps for matching: what matching needs, and what a
    suggestion card shows to tell persons with the same name apart (when and where she was
    last met, how many conversations), per person as the figures count her (merged records
    together). Merged duplicates are left out, or (for sync) included with merged_into_id so
    the phone can drop them."""
    return [
        entry
        for entry, _ in _read_entries(organisation_id)
        if include_merged or entry["merged_into_id"] is None
    ]


def _read_entries(organisation_id, groups: list | None = None):
    """(index entry, canonical id) of the organisation's persons, merged records included, or
    of the persons counted as one of `groups` (canonical ids) only."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    recent = (
        select(Person.canonical_id, Visit.clinic_id)
        .join(Conversation, Conversation.person_id == Person.id)
        .join(Visit, Visit.id == Conversation.visit_id)
        .where(Visit.started_at >= since)
        .distinct()
    )
    members = None
    if groups is not None:
        # Their conversations by person id: the planner then starts from those persons, not
        # from the organisation's every conversation.
        members = db.session.scalars(
            scoped(
                select(Person.id).where(Person.canonical_id.in_(groups)), organisation_id, Person
            )
        ).all()
        recent = recent.where(Person.canonical_id.in_(groups), Conversation.person_id.in_(members))
    clinics: dict = {}
    for person_id, clinic_id in db.session.execute(
        scoped(recent, organisation_id, Person, Conversation, Visit)
    ):
        clinics.setdefault(person_id, []).append(str(clinic_id))
    met = last_met(organisation_id, groups, members)
    # Columns, not Person objects: 20,000 of them are read for one suggestion.
    stmt = scoped(
        select(
            Person.id,
            Person.alias.column,
            Person.nationality,
            Person.birth_year,
            Person.gender,
            Person.canonical_id,
            Person.merged_into_id,
        ),
        organisation_id,
        Person,
    )
    if groups is not None:
        stmt = stmt.where(Person.canonical_id.in_(groups))
    for (
        pid,
        sealed,
        nationality,
        birth_year,
        gender,
        canonical_id,
        merged_into,
    ) in db.session.execute(stmt):
        last_at, last_clinic, count = met.get(canonical_id, (None, None, 0))
        entry = {
            "id": str(pid),
            "alias": Person.alias.open(pid, sealed),
            "nationality": nationality,
            "birth_year": birth_year,
            "gender": gender,
            "recent_clinic_ids": sorted(clinics.get(canonical_id, [])),
            "last_met_at": last_at.isoformat(timespec="seconds") if last_at else None,
            "last_clinic_id": str(last_clinic) if last_clinic else None,
            "conversations": count,
            "merged_into_id": str(canonical_id) if merged_into else None,
        }
        yield entry, str(canonical_id)


def last_met(organisation_id, groups: list | None = None, members: list | None = None) -> dict:
    """{canonical id: (time of her last conversation, its clinic or None, conversations)}, of
    every person or of `groups` (canonical ids, whose records are `members`) only."""
    per_person = (
        select(
            Person.canonical_id.label("pid"),
            func.max(Conversation.occurred_at).label("at"),
            func.count(Conversation.id).label("n"),
        )
        .join(Conversation, Conversation.person_id == Person.id)
        .group_by(Person.canonical_id)
    )
    if groups is not None:
        per_person = per_person.where(
            Person.canonical_id.in_(groups), Conversation.person_id.in_(members)
        )
    per_person = scoped(per_person, organisation_id, Person, Conversation).subquery()
    stmt = (
        select(per_person.c.pid, per_person.c.at, per_person.c.n, Visit.clinic_id)
        .join(Person, Person.canonical_id == per_person.c.pid)
        .join(
            Conversation,
            (Conversation.person_id == Person.id) & (Conversation.occurred_at == per_person.c.at),
        )
        .order_by(per_person.c.pid, Visit.clinic_id.is_(None))
    )
    stmt = scoped_outerjoin(stmt, Visit, Visit.id == Conversation.visit_id, organisation_id)
    stmt = scoped(stmt, organisation_id, Person, Conversation)
    met: dict = {}
    for pid, at, n, clinic_id in db.session.execute(stmt):
        met.setdefault(pid, (at, clinic_id, n))  # two at the same moment: one in a visit
    return met


@dataclass
class Suggestion:
    """A person met before who may be this one, with what tells her apart on a card."""

    person: Person
    score: float
    reasons: list[str]
    last_met_at: datetime | None
    last_clinic_id: uuid.UUID | None
    conversations: int


def suggestions(
    user,
    alias: str,
    nationality=None,
    birth_year=None,
    clinic_id=None,
    limit: int = 10,
    *,
    about: Person | None = None,
) -> list[Suggestion]:
    """Persons met before who may be this one, best first (matching.rank). `about`: the
    record whose duplicates are looked for (the same-as page), named in the audit event."""
    org_id = user.organisation_id
    query = {
        "alias": alias,
        "nationality": nationality,
        "birth_year": birth_year,
        "clinic_id": str(clinic_id) if clinic_id else None,
    }
    ranked = matching.rank(query, person_index(org_id), limit)
    # The organisation's person records were searched: audited, with how many were shown,
    # also none (SECURITY.md 20).
    record(
        "person.suggestions",
        user=user,
        object_type="persons",
        object_id=about.id if about else None,
        count=len(ranked),
    )
    if not ranked:
        return []
    persons = persons_by_id(org_id, [uuid.UUID(c["id"]) for c, _, _ in ranked])
    return [
        Suggestion(
            person=persons[uuid.UUID(c["id"])],
            score=s,
            reasons=reasons,
            last_met_at=datetime.fromisoformat(c["last_met_at"]) if c["last_met_at"] else None,
            last_clinic_id=uuid.UUID(c["last_clinic_id"]) if c["last_clinic_id"] else None,
            conversations=c["conversations"],
        )
        for c, s, reasons in ranked
    ]


# What the persons pages show -------------------------------------------------------------------


@dataclass
class Contacts:
    """A person's conversations as the figures see them: her records and those merged in."""

    first_at: datetime | None = None
    last_at: datetime | None = None
    count: int = 0


@dataclass
class PersonRow:
    person: Person
    contacts: Contacts
    merged_into: Person | None = None
    score: float | None = None


@dataclass
class Filters:
    nationality: str | None = None
    gender: str | None = None
    merged: bool = False

    def apply(self, stmt):
        if self.nationality:
            stmt = stmt.where(Person.nationality == self.nationality)
        if self.gender:
            stmt = stmt.where(Person.gender == self.gender)
        if not self.merged:
            stmt = stmt.where(Person.merged_into_id.is_(None))
        return stmt

    def args(self, **extra) -> dict:
        values = {
            "nationality": self.nationality,
            "gender": self.gender,
            "merged": "1" if self.merged else None,
        }
        values.update(extra)
        return {k: v for k, v in values.items() if v}


def _contacts_by_canonical(organisation_id, canonical_ids) -> dict:
    """{canonical id: Contacts}: first contact is first_contact_at's definition, per group."""
    if not canonical_ids:
        return {}
    stmt = scoped(
        select(
            Person.canonical_id,
            func.min(Conversation.occurred_at),
            func.max(Conversation.occurred_at),
            func.count(Conversation.id),
        )
        .join(Conversation, Conversation.person_id == Person.id)
        .where(Person.canonical_id.in_(set(canonical_ids)))
        .group_by(Person.canonical_id),
        organisation_id,
        Person,
        Conversation,
    )
    return {cid: Contacts(first, last, n) for cid, first, last, n in db.session.execute(stmt)}


def persons_by_id(organisation_id, ids) -> dict:
    """{id: person} for the ids that are the organisation's; None ids are skipped."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    stmt = tenant_select(Person, organisation_id).where(Person.id.in_(ids))
    return {p.id: p for p in db.session.scalars(stmt)}


def rows(organisation_id, persons: list[Person], scores: dict | None = None) -> list[PersonRow]:
    contacts = _contacts_by_canonical(organisation_id, [p.canonical_id for p in persons])
    targets = persons_by_id(organisation_id, (p.merged_into_id for p in persons))
    return [
        PersonRow(
            person=p,
            contacts=contacts.get(p.canonical_id, Contacts()),
            merged_into=targets.get(p.merged_into_id),
            score=(scores or {}).get(p.id),
        )
        for p in persons
    ]


def nationality_codes(organisation_id) -> list[str]:
    """The nationalities the organisation's persons have."""
    stmt = select(Person.nationality).where(Person.nationality.is_not(None)).distinct()
    return list(db.session.scalars(scoped(stmt, organisation_id, Person)))


def browse(organisation_id, filters: Filters, page: int, per_page: int):
    """(one page of the list, the persons talked to most recently first, then by alias;
    total). Aliases are encrypted, so SQL cannot sort by them: the ids, sealed aliases and last
    contacts of the filtered persons are read, sorted here and cut to the page."""
    last = _per_person(organisation_id, func.max)
    stmt = filters.apply(
        scoped(select(Person.id, Person.alias.column, last.c.at), organisation_id, Person)
    ).outerjoin(last, last.c.pid == Person.canonical_id)
    listed = [
        (pid, Person.alias.open(pid, sealed), at) for pid, sealed, at in db.session.execute(stmt)
    ]
    listed.sort(
        key=lambda r: (
            r[2] is None,  # never talked to last
            -r[2].timestamp() if r[2] else 0.0,  # the latest first
            matching.fold(r[1]),
            r[1],
            str(r[0]),
        )
    )
    shown = [pid for pid, _alias, _at in listed[(page - 1) * per_page : page * per_page]]
    found = persons_by_id(organisation_id, shown)
    return rows(organisation_id, [found[pid] for pid in shown]), len(listed)


def _alias_score(query: str, alias: str) -> float:
    """How well an alias answers a search: spelling and accent variants count (matching)."""
    score = matching.alias_similarity(query, alias)
    folded_query, folded_alias = matching.fold(query), matching.fold(alias)
    if len(folded_query) >= 2 and folded_query in folded_alias:
        score = max(score, 0.75)  # part of a longer alias: "maria" finds "Anna-Maria"
    return score


def search(
    organisation_id, query: str, filters: Filters, exclude_canonical=None, page=1, per_page=50
):
    """([PersonRow] of one page, best first; how many aliases answer `query` in all)."""
    candidates = db.session.scalars(filters.apply(tenant_select(Person, organisation_id))).all()
    scored = [
        (p, _alias_score(query, p.alias))
        for p in candidates
        if exclude_canonical is None or p.canonical_id != exclude_canonical
    ]
    scored = [(p, s) for p, s in scored if s >= matching.MIN_ALIAS_SIMILARITY]
    scored.sort(key=lambda item: (-item[1], matching.fold(item[0].alias), str(item[0].id)))
    shown = scored[(page - 1) * per_page : page * per_page]
    return rows(organisation_id, [p for p, _s in shown], {p.id: s for p, s in shown}), len(scored)


def saved_search(user, search_id: str) -> PersonSearch | None:
    """The user's own search under this id, while it is kept; else None."""
    stmt = tenant_select(PersonSearch, user.organisation_id).where(
        PersonSearch.id == search_id,
        PersonSearch.user_id == user.id,
        PersonSearch.created_at >= utcnow() - SEARCH_KEPT,
    )
    return db.session.scalar(stmt)


def group(organisation_id, canonical_id) -> list[Person]:
    """Every record counted as the same person (the same canonical id)."""
    stmt = tenant_select(Person, organisation_id).where(Person.canonical_id == canonical_id)
    return list(db.session.scalars(stmt))


def merged_subtree(person: Person) -> list[Person]:
    """The person and every record merged into her, directly or through another one."""
    children: dict = {}
    for member in group(person.organisation_id, person.canonical_id):
        if member.merged_into_id is not None:
            children.setdefault(member.merged_into_id, []).append(member)
    found, todo = [person], [person]
    while todo:
        for child in children.get(todo.pop().id, []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def own_contacts(organisation_id, persons: list[Person]) -> Contacts:
    """Contacts of exactly these records (for a merge or its undoing: what each side brings)."""
    stmt = select(
        func.min(Conversation.occurred_at),
        func.max(Conversation.occurred_at),
        func.count(Conversation.id),
    ).where(Conversation.person_id.in_([p.id for p in persons]))
    first, last, count = db.session.execute(scoped(stmt, organisation_id, Conversation)).one()
    return Contacts(first, last, count)


def conversations_of(organisation_id, person_ids: list[uuid.UUID]):
    """[(conversation, clinic name, region slug)], newest first; clinic only in a visit."""
    visit_clinic = scoped(
        select(Visit.id.label("visit_id"), Clinic.name, Clinic.region_slug).join(
            Clinic, Clinic.id == Visit.clinic_id
        ),
        organisation_id,
        Visit,
        Clinic,
    ).subquery()
    return db.session.execute(
        tenant_select(Conversation, organisation_id)
        .add_columns(visit_clinic.c.name, visit_clinic.c.region_slug)
        .outerjoin(visit_clinic, visit_clinic.c.visit_id == Conversation.visit_id)
        .where(Conversation.person_id.in_(person_ids))
        .order_by(Conversation.occurred_at.desc(), Conversation.id)
    ).all()


def can_undo(merge: PersonMerge, source: Person | None) -> bool:
    return (
        merge.undone_at is None and source is not None and source.merged_into_id == merge.target_id
    )


def merge_history(person: Person) -> list[dict]:
    org_id = person.organisation_id
    merges = db.session.scalars(
        tenant_select(PersonMerge, org_id)
        .where((PersonMerge.source_id == person.id) | (PersonMerge.target_id == person.id))
        .order_by(PersonMerge.merged_at.desc())
    ).all()
    persons = persons_by_id(org_id, [m.source_id for m in merges] + [m.target_id for m in merges])
    user_ids = {m.merged_by_id for m in merges} | {m.undone_by_id for m in merges}
    users = {
        u.id: u
        for u in db.session.scalars(tenant_select(User, org_id).where(User.id.in_(user_ids)))
    }
    return [
        {
            "merge": m,
            "source": persons.get(m.source_id),
            "target": persons.get(m.target_id),
            "merged_by": users.get(m.merged_by_id),
            "undone_by": users.get(m.undone_by_id),
            "can_undo": can_undo(m, persons.get(m.source_id)),
        }
        for m in merges
    ]


def recent_clinic_id(person: Person):
    """The clinic of her latest conversation in a visit, so suggestions can use it."""
    stmt = (
        select(Visit.clinic_id)
        .join(Conversation, Conversation.visit_id == Visit.id)
        .where(Conversation.person_id == person.id)
        .order_by(Conversation.occurred_at.desc())
        .limit(1)
    )
    return db.session.scalar(scoped(stmt, person.organisation_id, Visit, Conversation))
