"""The persons pages for coordinators and admins: the list, a person's record, finding and
merging duplicates, and undoing a merge.

Every read of one person's record goes through queries.read_person, which writes the audit
event (SECURITY.md 20); merges go through services.merge_persons / unmerge_persons. An alias
typed into a search is posted, never put in a URL (SECURITY.md 19): the post keeps the
search on the server under a random id and redirects to its results page, a plain GET.
"""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.db import db, write_transaction
from outreach.errors import FieldErrors
from outreach.orgs.queries import code_labels
from outreach.paging import MAX_PAGE
from outreach.permissions import role_required
from outreach.persons import queries, services
from outreach.persons.forms import (
    DuplicateSearchForm,
    MergeForm,
    PersonSearchForm,
    UndoMergeForm,
)
from outreach.persons.models import GENDERS, Person, PersonMerge
from outreach.persons.queries import Filters
from outreach.records import NotAllowed
from outreach.tenancy import get_in_org, get_in_org_or_404
from outreach.vocabulary import country_label, labels

bp = Blueprint("persons", __name__, url_prefix="/persons")

PER_PAGE = 50
SUGGESTION_LIMIT = 10


def _org_id() -> uuid.UUID:
    return current_user.organisation_id


def _actor() -> User:
    return current_user._get_current_object()


def _nationalities() -> list[tuple[str, str]]:
    """The nationalities the organisation's persons have, by name in the page's language."""
    codes = queries.nationality_codes(_org_id())
    return sorted(((c, country_label(c)) for c in codes), key=lambda item: item[1].casefold())


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
        # Post, then redirect to a GET of the results: Back and reload ask nothing, and the
        # alias stays on the server under a random id (PersonSearch), never in the URL.
        search = services.save_search(_actor(), form.q.data, filters)
        db.session.commit()
        return redirect(url_for("persons.index", search=search.id), 303)

    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)  # the offset fits
    if "search" in request.args:
        return _search_page(request.args["search"], nationalities, page)
    filters = _filters_from_args()
    form = PersonSearchForm(
        formdata=None,
        nationality=filters.nationality or "",
        gender=filters.gender or "",
        merged=filters.merged,
    )
    form.set_choices(nationalities, labels(GENDERS))
    rows, total = queries.browse(_org_id(), filters, page, PER_PAGE)
    with write_transaction():  # the list shows person records: audited like a read
        record("person.list", user=_actor(), object_type="persons", count=len(rows), page=page)
    return _list_page(form, filters, rows=rows, total=total, page=page)


def _search_page(search_id: str, nationalities, page: int):
    search = queries.saved_search(_actor(), search_id)
    if search is None:
        # Kept only for a while, and only for who searched: search again.
        form = PersonSearchForm(formdata=None)
        form.set_choices(nationalities, labels(GENDERS))
        form.q.errors = [_("This search is no longer kept. Please search again.")]
        return _list_page(form, Filters(), rows=None, total=0, page=1, status=404)
    filters = Filters(search.nationality, search.gender, search.merged)
    form = PersonSearchForm(
        formdata=None,
        q=search.query,
        nationality=filters.nationality or "",
        gender=filters.gender or "",
        merged=filters.merged,
    )
    form.set_choices(nationalities, labels(GENDERS))
    rows, total = queries.search(_org_id(), search.query, filters, page=page, per_page=PER_PAGE)
    with write_transaction():  # who searched, and how many records it showed; never what
        record("person.search", user=_actor(), object_type="persons", count=len(rows), page=page)
    return _list_page(
        form, filters, rows=rows, total=total, page=page, query=search.query, search_id=search.id
    )


def _list_page(form, filters, *, rows, total, page, query=None, search_id=None, status=200):
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
            search_id=search_id,
        ),
        status,
    )


# One person ------------------------------------------------------------------------------


@bp.route("/<uuid:person_id>")
@role_required("coordinator")
def person(person_id: uuid.UUID):
    # The audit event of this read is kept whatever happens next.
    with write_transaction():
        person = queries.read_person(_actor(), person_id)
    if person is None:
        abort(404)
    subtree = queries.merged_subtree(person)
    merged_in = subtree[1:]
    targets = queries.persons_by_id(_org_id(), [person.merged_into_id, person.canonical_id])
    conversations = queries.conversations_of(_org_id(), [p.id for p in subtree])
    return render_template(
        "persons/person.html",
        person=person,
        merged_into=targets.get(person.merged_into_id),
        canonical=targets.get(person.canonical_id) if person.canonical_id != person.id else None,
        first_contact=queries.first_contact_at(_org_id(), person),
        merged_in=queries.rows(_org_id(), merged_in),
        conversations=conversations,
        aliases={p.id: p.alias for p in subtree},
        history=queries.merge_history(person),
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
            results, _total = queries.search(
                _org_id(), form.q.data, Filters(), exclude_canonical=person.canonical_id
            )
            with write_transaction():  # the results show person records: audited, never what
                record("person.search", user=_actor(), obj=person, count=len(results))
        else:
            status = 422
    suggested = []
    if person.merged_into_id is None:
        clinic_id = queries.recent_clinic_id(person)
        with write_transaction():  # keeps the audit event of the suggestions read
            ranked = queries.suggestions(
                _actor(),
                person.alias,
                nationality=person.nationality,
                birth_year=person.birth_year,
                clinic_id=clinic_id,
                limit=SUGGESTION_LIMIT + 5,
                about=person,
            )
        ranked = [s for s in ranked if s.person.canonical_id != person.canonical_id]
        ranked = ranked[:SUGGESTION_LIMIT]
        rows = queries.rows(_org_id(), [s.person for s in ranked])
        suggested = [(row, s.reasons) for row, s in zip(rows, ranked, strict=True)]
    elif request.method == "GET":
        # A merged record: no suggestions, but the page shows her record (SECURITY.md 20).
        with write_transaction():
            record("person.read", user=_actor(), obj=person)
    return (
        render_template(
            "persons/same_as.html",
            person=person,
            merged_into=queries.persons_by_id(_org_id(), [person.merged_into_id]).get(
                person.merged_into_id
            ),
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
    side = {p.id: queries.own_contacts(_org_id(), queries.merged_subtree(p)) for p in (a, b)}
    together = queries.own_contacts(
        _org_id(), queries.merged_subtree(a) + queries.merged_subtree(b)
    )
    choices = _keep_choices(a, b)
    same = a.canonical_id == b.canonical_id
    if form is None:
        form = MergeForm(formdata=None)
        default = _default_keep(choices, side)
        form.keep.data = str(default.id) if default else None
    form.keep.choices = [(str(p.id), p.alias) for p in choices]
    targets = queries.persons_by_id(_org_id(), [a.merged_into_id, b.merged_into_id])
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
        with write_transaction():
            a = queries.read_person(_actor(), person_id)
            b = queries.read_person(_actor(), other_id)
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
    # No alias in a flash message: it travels in the session cookie, signed but readable.
    flash(
        _(
            "The two records are now one person in every figure. The merge can be undone "
            "from the merge history below."
        ),
        "success",
    )
    return redirect(url_for("persons.person", person_id=keep.id), 303)


# Undoing a merge ------------------------------------------------------------------------


@bp.route("/merges/<uuid:merge_id>/undo", methods=["GET", "POST"])
@role_required("coordinator")
def undo_merge(merge_id: uuid.UUID):
    merge = get_in_org_or_404(PersonMerge, merge_id, _org_id())
    form = UndoMergeForm()
    if request.method == "GET":
        # Both records are shown, side by side: two audited reads, as on the merge page.
        with write_transaction():
            source = queries.read_person(_actor(), merge.source_id)
            target = queries.read_person(_actor(), merge.target_id)
    else:
        source = get_in_org(Person, merge.source_id, _org_id())
        target = get_in_org(Person, merge.target_id, _org_id())
    if source is None or target is None:
        abort(404)
    if request.method == "POST" and form.validate():
        try:
            services.unmerge_persons(_actor(), merge.id)
        except services.MergeError as exc:
            flash(str(exc), "error")
            return redirect(url_for("persons.person", person_id=source.id), 303)
        except NotAllowed:
            abort(403)
        db.session.commit()
        flash(_("The merge is undone: the two records count as two persons again."), "success")
        return redirect(url_for("persons.person", person_id=source.id), 303)

    # What each side takes with it: the source keeps the records merged into it.
    source_side = queries.merged_subtree(source) if source.merged_into_id == target.id else [source]
    source_ids = {p.id for p in source_side}
    group = queries.group(_org_id(), target.canonical_id)
    target_side = [p for p in group if p.id not in source_ids] or [target]
    return (
        render_template(
            "persons/undo_merge.html",
            merge=merge,
            source=source,
            target=target,
            can_undo=queries.can_undo(merge, source),
            source_contacts=queries.own_contacts(_org_id(), source_side),
            target_contacts=queries.own_contacts(_org_id(), target_side),
            merged_by=get_in_org(User, merge.merged_by_id, _org_id())
            if merge.merged_by_id
            else None,
            form=form,
        ),
        422 if request.method == "POST" else 200,
    )
