"""The persons pages for coordinators and admins: the list, a person's record, finding and
merging duplicates, and undoing a merge.

Every read of one person's record goes through services.read_person, which writes the audit
event (SECURITY.md 20); merges go through services.merge_persons / unmerge_persons. An alias
typed into a search is posted, never put in a URL (SECURITY.md 19).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from outreach.auth.access import role_required
from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.errors import FieldErrors
from outreach.orgs.services import code_labels
from outreach.paging import paginate
from outreach.persons import matching, services
from outreach.persons.forms import (
    DuplicateSearchForm,
    MergeForm,
    PersonSearchForm,
    UndoMergeForm,
)
from outreach.persons.models import GENDERS, Conversation, Person, PersonMerge
from outreach.records import NotAllowed
from outreach.tenancy import get_in_org, get_in_org_or_404, tenant_select
from outreach.visits.models import Visit
from outreach.vocabulary import country_label, labels

bp = Blueprint("persons", __name__, url_prefix="/persons")

PER_PAGE = 50
SEARCH_LIMIT = 50
SUGGESTION_LIMIT = 10


def _org_id() -> uuid.UUID:
    return current_user.organisation_id


def _actor() -> User:
    return current_user._get_current_object()


# What the pages ask of the data -----------------------------------------------------------


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


def _contacts_by_canonical(canonical_ids=None):
    """{canonical id: Contacts}: first contact is first_contact_at's definition, per group."""
    org_id = _org_id()
    stmt = (
        select(
            Person.canonical_id,
            func.min(Conversation.occurred_at),
            func.max(Conversation.occurred_at),
            func.count(Conversation.id),
        )
        .join(Conversation, Conversation.person_id == Person.id)
        .where(Person.organisation_id == org_id, Conversation.organisation_id == org_id)
        .group_by(Person.canonical_id)
    )
    if canonical_ids is not None:
        if not canonical_ids:
            return {}
        stmt = stmt.where(Person.canonical_id.in_(set(canonical_ids)))
    return {cid: Contacts(first, last, n) for cid, first, last, n in db.session.execute(stmt)}


def _persons_by_id(ids) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        p.id: p
        for p in db.session.scalars(tenant_select(Person, _org_id()).where(Person.id.in_(ids)))
    }


def _rows(persons: list[Person], scores: dict | None = None) -> list[PersonRow]:
    contacts = _contacts_by_canonical([p.canonical_id for p in persons])
    targets = _persons_by_id(p.merged_into_id for p in persons)
    return [
        PersonRow(
            person=p,
            contacts=contacts.get(p.canonical_id, Contacts()),
            merged_into=targets.get(p.merged_into_id),
            score=(scores or {}).get(p.id),
        )
        for p in persons
    ]


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


def _nationalities() -> list[tuple[str, str]]:
    """The nationalities the organisation's persons have, by name in the page's language."""
    codes = db.session.scalars(
        select(Person.nationality)
        .where(Person.organisation_id == _org_id(), Person.nationality.is_not(None))
        .distinct()
    )
    return sorted(((c, country_label(c)) for c in codes), key=lambda item: item[1].casefold())


def _browse(filters: Filters, page: int) -> tuple[list[PersonRow], int]:
    """One page of the list, the persons talked to most recently first."""
    org_id = _org_id()
    stmt = filters.apply(tenant_select(Person, org_id))
    last = (
        select(Person.canonical_id.label("cid"), func.max(Conversation.occurred_at).label("at"))
        .join(Conversation, Conversation.person_id == Person.id)
        .where(Person.organisation_id == org_id, Conversation.organisation_id == org_id)
        .group_by(Person.canonical_id)
        .subquery()
    )
    persons, total = paginate(
        stmt.outerjoin(last, last.c.cid == Person.canonical_id).order_by(
            last.c.at.is_(None), last.c.at.desc(), Person.alias, Person.id
        ),
        page,
        PER_PAGE,
    )
    return _rows(persons), total


def _alias_score(query: str, alias: str) -> float:
    """How well an alias answers a search: spelling and accent variants count (matching)."""
    score = matching.alias_similarity(query, alias)
    folded_query, folded_alias = matching.fold(query), matching.fold(alias)
    if len(folded_query) >= 2 and folded_query in folded_alias:
        score = max(score, 0.75)  # part of a longer alias: "maria" finds "Anna-Maria"
    return score


def _search(query: str, filters: Filters, exclude_canonical=None) -> list[PersonRow]:
    candidates = db.session.scalars(filters.apply(tenant_select(Person, _org_id()))).all()
    scored = [
        (p, _alias_score(query, p.alias))
        for p in candidates
        if exclude_canonical is None or p.canonical_id != exclude_canonical
    ]
    scored = [(p, s) for p, s in scored if s >= matching.MIN_ALIAS_SIMILARITY]
    scored.sort(key=lambda item: (-item[1], matching.fold(item[0].alias), str(item[0].id)))
    scored = scored[:SEARCH_LIMIT]
    return _rows([p for p, _s in scored], {p.id: s for p, s in scored})


def _merged_subtree(person: Person) -> list[Person]:
    """The person and every record merged into her, directly or through another one."""
    group = db.session.scalars(
        tenant_select(Person, _org_id()).where(Person.canonical_id == person.canonical_id)
    ).all()
    children: dict = {}
    for member in group:
        if member.merged_into_id is not None:
            children.setdefault(member.merged_into_id, []).append(member)
    found, todo = [person], [person]
    while todo:
        for child in children.get(todo.pop().id, []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def _own_contacts(persons: list[Person]) -> Contacts:
    """Contacts of exactly these records (for a merge or its undoing: what each side brings)."""
    org_id = _org_id()
    first, last, count = db.session.execute(
        select(
            func.min(Conversation.occurred_at),
            func.max(Conversation.occurred_at),
            func.count(Conversation.id),
        ).where(
            Conversation.organisation_id == org_id,
            Conversation.person_id.in_([p.id for p in persons]),
        )
    ).one()
    return Contacts(first, last, count)


def _conversations(person_ids: list[uuid.UUID]):
    """[(conversation, clinic name, region slug)], newest first; clinic only in a visit."""
    return db.session.execute(
        tenant_select(Conversation, _org_id())
        .add_columns(Clinic.name, Clinic.region_slug)
        .outerjoin(Visit, Visit.id == Conversation.visit_id)
        .outerjoin(Clinic, Clinic.id == Visit.clinic_id)
        .where(Conversation.person_id.in_(person_ids))
        .order_by(Conversation.occurred_at.desc(), Conversation.id)
    ).all()


def _merge_history(person: Person) -> list[dict]:
    merges = db.session.scalars(
        tenant_select(PersonMerge, _org_id())
        .where((PersonMerge.source_id == person.id) | (PersonMerge.target_id == person.id))
        .order_by(PersonMerge.merged_at.desc())
    ).all()
    persons = _persons_by_id([m.source_id for m in merges] + [m.target_id for m in merges])
    users = {
        u.id: u
        for u in db.session.scalars(
            tenant_select(User, _org_id()).where(
                User.id.in_({m.merged_by_id for m in merges} | {m.undone_by_id for m in merges})
            )
        )
    }
    return [
        {
            "merge": m,
            "source": persons.get(m.source_id),
            "target": persons.get(m.target_id),
            "merged_by": users.get(m.merged_by_id),
            "undone_by": users.get(m.undone_by_id),
            "can_undo": _can_undo(m, persons.get(m.source_id)),
        }
        for m in merges
    ]


def _can_undo(merge: PersonMerge, source: Person | None) -> bool:
    return (
        merge.undone_at is None and source is not None and source.merged_into_id == merge.target_id
    )


def _recent_clinic_id(person: Person):
    """The clinic of her latest conversation in a visit, so suggestions can use it."""
    return db.session.scalar(
        select(Visit.clinic_id)
        .join(Conversation, Conversation.visit_id == Visit.id)
        .where(Conversation.organisation_id == _org_id(), Conversation.person_id == person.id)
        .order_by(Conversation.occurred_at.desc())
        .limit(1)
    )


# The list ---------------------------------------------------------------------------------


def _filters_from_args() -> Filters:
    args = request.args
    nationality = (args.get("nationality") or "").upper()
    return Filters(
        nationality=nationality if len(nationality) == 2 and nationality.isalpha() else None,
        gender=args.get("gender") if args.get("gender") in GENDERS else None,
        merged=args.get("merged") == "1",
    )


@bp.route("/", methods=["GET", "POST"])
@role_required("coordinator")
def index():
    nationalities = _nationalities()
    if request.method == "POST":
        form = PersonSearchForm()
        form.set_choices(nationalities, labels(GENDERS))
        if not form.validate():
            return _list_page(form, Filters(), rows=None, total=0, page=1, status=422)
        filters = Filters(form.nationality.data or None, form.gender.data or None, form.merged.data)
        if not form.q.data:
            # Filters alone hold no personal data: back to an ordinary, bookmarkable list.
            return redirect(url_for("persons.index", **filters.args()), 303)
        rows = _search(form.q.data, filters)
        return _list_page(form, filters, rows=rows, total=len(rows), page=1, query=form.q.data)

    filters = _filters_from_args()
    page = max(request.args.get("page", 1, type=int), 1)
    form = PersonSearchForm(
        formdata=None,
        nationality=filters.nationality or "",
        gender=filters.gender or "",
        merged=filters.merged,
    )
    form.set_choices(nationalities, labels(GENDERS))
    rows, total = _browse(filters, page)
    return _list_page(form, filters, rows=rows, total=total, page=page)


def _list_page(form, filters, *, rows, total, page, query=None, status=200):
    return (
        render_template(
            "persons/index.html",
            form=form,
            filters=filters,
            rows=rows or [],
            total=total,
            page=page,
            pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
            query=query,
        ),
        status,
    )


# One person ------------------------------------------------------------------------------


@bp.route("/<uuid:person_id>")
@role_required("coordinator")
def person(person_id: uuid.UUID):
    person = services.read_person(_actor(), person_id)
    if person is None:
        abort(404)
    db.session.commit()  # the audit event of this read is kept whatever happens next
    subtree = _merged_subtree(person)
    merged_in = subtree[1:]
    targets = _persons_by_id([person.merged_into_id, person.canonical_id])
    conversations = _conversations([p.id for p in subtree])
    return render_template(
        "persons/person.html",
        person=person,
        merged_into=targets.get(person.merged_into_id),
        canonical=targets.get(person.canonical_id) if person.canonical_id != person.id else None,
        first_contact=services.first_contact_at(_org_id(), person),
        merged_in=_rows(merged_in),
        conversations=conversations,
        aliases={p.id: p.alias for p in subtree},
        history=_merge_history(person),
        indicator_labels=code_labels(current_user.organisation, "indicators"),
    )


# Finding a duplicate and merging ---------------------------------------------------------


@bp.route("/<uuid:person_id>/same-as", methods=["GET", "POST"])
@role_required("coordinator")
def same_as(person_id: uuid.UUID):
    person = get_in_org_or_404(Person, person_id, _org_id())
    form = DuplicateSearchForm() if request.method == "POST" else DuplicateSearchForm(formdata=None)
    results = None
    status = 200
    if request.method == "POST":
        if form.validate():
            results = _search(form.q.data, Filters(), exclude_canonical=person.canonical_id)
        else:
            status = 422
    suggested = []
    if person.merged_into_id is None:
        ranked = services.suggestions(
            _actor(),
            person.alias,
            nationality=person.nationality,
            birth_year=person.birth_year,
            clinic_id=_recent_clinic_id(person),
            limit=SUGGESTION_LIMIT + 5,
        )
        db.session.commit()  # keeps the audit event of the suggestions read
        ranked = [(p, s, r) for p, s, r in ranked if p.canonical_id != person.canonical_id]
        ranked = ranked[:SUGGESTION_LIMIT]
        rows = _rows([p for p, _s, _r in ranked])
        suggested = [(row, reasons) for row, (_p, _s, reasons) in zip(rows, ranked, strict=True)]
    return (
        render_template(
            "persons/same_as.html",
            person=person,
            merged_into=_persons_by_id([person.merged_into_id]).get(person.merged_into_id),
            suggested=suggested,
            form=form,
            results=results,
        ),
        status,
    )


def _keep_choices(a: Person, b: Person) -> list[Person]:
    """The records that may be kept: the other one must not already be merged elsewhere."""
    return [keep for keep, other in ((a, b), (b, a)) if other.merged_into_id is None]


def _default_keep(choices: list[Person], contacts: dict) -> Person | None:
    """The record the team met first (else created first): its alias is the familiar one."""
    if not choices:
        return None

    def met_first(person: Person) -> tuple:
        first = contacts[person.id].first_at
        created = person.created_at
        return (
            first is None,
            first.timestamp() if first else 0.0,
            created.timestamp() if created else 0.0,
        )

    return min(choices, key=met_first)


def _merge_page(a: Person, b: Person, form: MergeForm | None, error: str | None, status: int):
    side = {p.id: _own_contacts(_merged_subtree(p)) for p in (a, b)}
    together = _own_contacts(_merged_subtree(a) + _merged_subtree(b))
    choices = _keep_choices(a, b)
    same = a.canonical_id == b.canonical_id
    if form is None:
        form = MergeForm(formdata=None)
        default = _default_keep(choices, side)
        form.keep.data = str(default.id) if default else None
    form.keep.choices = [(str(p.id), p.alias) for p in choices]
    targets = _persons_by_id([a.merged_into_id, b.merged_into_id])
    return (
        render_template(
            "persons/merge.html",
            a=a,
            b=b,
            side=side,
            together=together,
            choices=choices,
            same=same,
            form=form,
            error=error,
            merged_into={p.id: targets.get(p.merged_into_id) for p in (a, b)},
        ),
        status,
    )


@bp.route("/<uuid:person_id>/merge/<uuid:other_id>", methods=["GET", "POST"])
@role_required("coordinator")
def merge(person_id: uuid.UUID, other_id: uuid.UUID):
    if request.method == "GET":
        get_in_org_or_404(Person, person_id, _org_id())
        get_in_org_or_404(Person, other_id, _org_id())
        # Both records are shown in full, side by side: two audited reads.
        a = services.read_person(_actor(), person_id)
        b = services.read_person(_actor(), other_id)
        db.session.commit()
        return _merge_page(a, b, None, None, 200)

    a = get_in_org_or_404(Person, person_id, _org_id())
    b = get_in_org_or_404(Person, other_id, _org_id())
    form = MergeForm()
    form.keep.choices = [(str(p.id), p.alias) for p in _keep_choices(a, b)]
    if not form.validate():
        return _merge_page(a, b, form, _("Choose the record to keep."), 422)
    keep, other = (a, b) if form.keep.data == str(a.id) else (b, a)
    try:
        services.merge_persons(_actor(), other.id, keep.id)
    except services.MergeError as exc:
        return _merge_page(a, b, form, str(exc), 409)
    except NotAllowed:
        abort(403)
    except FieldErrors:
        abort(404)
    db.session.commit()
    flash(
        _(
            "%(other)s and %(keep)s are now one person in every figure. The merge can be "
            "undone from the merge history below.",
            other=other.alias,
            keep=keep.alias,
        ),
        "success",
    )
    return redirect(url_for("persons.person", person_id=keep.id), 303)


# Undoing a merge ------------------------------------------------------------------------


@bp.route("/merges/<uuid:merge_id>/undo", methods=["GET", "POST"])
@role_required("coordinator")
def undo_merge(merge_id: uuid.UUID):
    merge = get_in_org_or_404(PersonMerge, merge_id, _org_id())
    source = get_in_org(Person, merge.source_id, _org_id())
    target = get_in_org(Person, merge.target_id, _org_id())
    if source is None or target is None:
        abort(404)
    form = UndoMergeForm()
    if request.method == "POST" and form.validate():
        try:
            services.unmerge_persons(_actor(), merge.id)
        except services.MergeError as exc:
            flash(str(exc), "error")
            return redirect(url_for("persons.person", person_id=source.id), 303)
        except NotAllowed:
            abort(403)
        db.session.commit()
        flash(
            _(
                "The merge is undone: %(source)s and %(target)s count as two persons again.",
                source=source.alias,
                target=target.alias,
            ),
            "success",
        )
        return redirect(url_for("persons.person", person_id=source.id), 303)

    # What each side takes with it: the source keeps the records merged into it.
    source_side = _merged_subtree(source) if source.merged_into_id == target.id else [source]
    source_ids = {p.id for p in source_side}
    group = db.session.scalars(
        tenant_select(Person, _org_id()).where(Person.canonical_id == target.canonical_id)
    ).all()
    target_side = [p for p in group if p.id not in source_ids] or [target]
    return (
        render_template(
            "persons/undo_merge.html",
            merge=merge,
            source=source,
            target=target,
            can_undo=_can_undo(merge, source),
            source_contacts=_own_contacts(source_side),
            target_contacts=_own_contacts(target_side),
            merged_by=get_in_org(User, merge.merged_by_id, _org_id())
            if merge.merged_by_id
            else None,
            form=form,
        ),
        422 if request.method == "POST" else 200,
    )
