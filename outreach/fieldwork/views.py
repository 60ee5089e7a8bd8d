"""The visit and conversation pages: read by every role (the phone sends nurses here: "changes
are made in the back office"), corrected by coordinators.

A correction goes through the same services as the API's PUT (visits.services.put_visit,
persons.services.put_conversation), so it is validated by the same schema, audited
(visit.update, conversation.update) and synced to the phones. The form carries the ETag it
was opened with; a save over someone else's change is refused like a stale If-Match, and the
form comes back with the current values and the fields whose changes were not saved.
Reading either page is audited too: it shows who was met, and the notes.
"""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.apiutil import caller
from outreach.audit.services import record
from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.codes import language_codes
from outreach.db import db, write_transaction
from outreach.errors import FieldErrors
from outreach.fieldwork.forms import ConversationForm, VisitForm
from outreach.orgs.queries import code_labels, organisation_lists
from outreach.permissions import role_required
from outreach.persons import queries as person_queries
from outreach.persons import services as person_services
from outreach.persons.matching import fold
from outreach.persons.models import Conversation, Person
from outreach.records import NotAllowed, PreconditionFailed, RecordNotFound
from outreach.tenancy import get_in_org, get_in_org_or_404, tenant_select
from outreach.visits import queries as visit_queries
from outreach.visits import services as visit_services
from outreach.visits.models import Visit
from outreach.vocabulary import country_label, language_label

bp = Blueprint("fieldwork", __name__)


def _org_id() -> uuid.UUID:
    return current_user.organisation_id


def _stale_message() -> str:
    return _(
        "Someone else changed this record after you opened it, so nothing was saved. The "
        "form now shows the current values; make your changes again and save."
    )


def _not_saved(form, submitted: dict, current: dict, names: dict) -> None:
    """Name the fields whose typed value differs from the current one. Both are
    the forms' bodies (typed, and made from the current record), so they compare alike."""

    def same(a, b) -> bool:
        if isinstance(a, list) and isinstance(b, list):
            return sorted(map(str, a)) == sorted(map(str, b))
        return a == b

    lost = [str(names[key]) for key in names if not same(submitted.get(key), current.get(key))]
    if lost:
        form.form_errors.append(
            _(
                "What you typed differs from the current values in: %(fields)s.",
                fields=", ".join(lost),
            )
        )


# One visit -------------------------------------------------------------------------------


def _visit_choices(visit: Visit) -> dict:
    org = current_user.organisation
    clinics = db.session.scalars(tenant_select(Clinic, _org_id()).order_by(Clinic.name, Clinic.id))
    users = db.session.scalars(tenant_select(User, _org_id()).order_by(User.name, User.email))
    staff_ids = set(visit.staff)
    lists = organisation_lists(_org_id())
    supply_labels = code_labels(org, "supplies")
    indicator_labels = code_labels(org, "indicators")
    # The organisation's lists, then codes the visit holds that were taken off them since.
    supplies = lists["supplies"] + [c for c in visit.supplies if c not in lists["supplies"]]
    indicators = lists["indicators"] + [c for c in visit.indicators if c not in lists["indicators"]]
    return {
        "clinics": [(str(c.id), f"{c.name} · {c.city}" if c.city else c.name) for c in clinics],
        "staff": [(str(u.id), u.display_name) for u in users if u.active or str(u.id) in staff_ids],
        "supplies": [(code, supply_labels.get(code, code)) for code in supplies],
        "indicators": [(code, indicator_labels.get(code, code)) for code in indicators],
    }


def _visit_conversations(visit: Visit) -> list[tuple[Conversation, Person]]:
    """The visit's conversations, oldest first; audited with the visit's read."""
    conversations = db.session.scalars(
        tenant_select(Conversation, _org_id())
        .where(Conversation.visit_id == visit.id)
        .order_by(Conversation.occurred_at, Conversation.id)
    ).all()
    persons = person_queries.persons_by_id(_org_id(), [c.person_id for c in conversations])
    return [(c, persons.get(c.person_id)) for c in conversations]


@bp.route("/visits/<uuid:visit_id>")
@role_required("nurse")
def visit(visit_id: uuid.UUID):
    get_in_org_or_404(Visit, visit_id, _org_id())
    with write_transaction():  # who was met there is read: audited (SECURITY.md 20)
        visit = get_in_org_or_404(Visit, visit_id, _org_id())
        conversations = _visit_conversations(visit)
        record("visit.read", user=caller(), obj=visit, conversations=len(conversations))
    staff = db.session.scalars(
        tenant_select(User, _org_id()).where(User.id.in_([uuid.UUID(s) for s in visit.staff]))
    ).all()
    org = current_user.organisation
    return render_template(
        "fieldwork/visit.html",
        visit=visit,
        clinic=get_in_org(Clinic, visit.clinic_id, _org_id()),
        staff=sorted(u.display_name for u in staff),
        supply_labels=code_labels(org, "supplies"),
        indicator_labels=code_labels(org, "indicators"),
        conversations=conversations,
        may_edit=current_user.has_role("coordinator"),
    )


def _visit_form_page(form: VisitForm, visit: Visit, status: int = 200):
    return (
        render_template(
            "fieldwork/visit_form.html",
            form=form,
            visit=visit,
            clinic=get_in_org(Clinic, visit.clinic_id, _org_id()),
        ),
        status,
    )


@bp.route("/visits/<uuid:visit_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit_visit(visit_id: uuid.UUID):
    visit = get_in_org_or_404(Visit, visit_id, _org_id())
    choices = _visit_choices(visit)
    if request.method == "GET":
        with write_transaction():  # the form shows the visit's notes: a read, audited
            record("visit.read", user=caller(), obj=visit)
        form = VisitForm.for_visit(visit, visit_queries.etag(visit), **choices)
        return _visit_form_page(form, visit)

    form = VisitForm(**choices)
    supplies = form.read_supplies(request.form)
    valid = form.validate_on_submit() and not form.supply_errors
    data = form.load(form.visit_data(supplies)) if valid else None
    if data is None:
        return _visit_form_page(form, visit, 422)
    try:
        result = visit_services.put_visit(caller(), visit.id, data, form.version.data or None)
    except FieldErrors as errors:
        form.add_errors(errors.errors)
        return _visit_form_page(form, visit, 422)
    except PreconditionFailed:  # raised before anything changed
        current = get_in_org_or_404(Visit, visit_id, _org_id())
        fresh = VisitForm.for_visit(current, visit_queries.etag(current), **choices)
        fresh.form_errors.append(_stale_message())
        typed = form.visit_data(supplies)
        _not_saved(fresh, typed, fresh.visit_data(current.supplies), _visit_field_names(form))
        return _visit_form_page(fresh, current, 409)
    except (RecordNotFound, NotAllowed):
        abort(404)
    db.session.commit()
    flash(_("Visit saved.") if result.changed else _("Nothing was changed."), "success")
    return redirect(url_for("fieldwork.visit", visit_id=visit.id), 303)


def _visit_field_names(form: VisitForm) -> dict:
    names = {name: form[name].label.text for name in visit_services.INPUT_FIELDS if name in form}
    return {**names, "supplies": _("Supplies")}


# One conversation ------------------------------------------------------------------------


def _conversation_choices(conversation: Conversation) -> dict:
    org = current_user.organisation
    persons = db.session.scalars(
        tenant_select(Person, _org_id()).where(
            (Person.merged_into_id.is_(None)) | (Person.id == conversation.person_id)
        )
    ).all()
    # Aliases are encrypted: sorted here, not in SQL.
    persons.sort(key=lambda p: (fold(p.alias), p.alias, p.birth_year or 0, str(p.id)))

    def person_label(p: Person) -> str:
        facts = [p.alias, country_label(p.nationality) if p.nationality else None]
        facts.append(_("born %(year)s", year=p.birth_year) if p.birth_year else None)
        return " · ".join(f for f in facts if f)

    lists = organisation_lists(_org_id())
    labels = code_labels(org, "indicators")
    indicators = lists["indicators"] + [
        c for c in conversation.indicators if c not in lists["indicators"]
    ]
    languages = sorted(
        ((code, language_label(code)) for code in language_codes()),
        key=lambda item: item[1].casefold(),
    )
    return {
        "persons": [(str(p.id), person_label(p)) for p in persons],
        "languages": languages,
        "indicators": [(code, labels.get(code, code)) for code in indicators],
    }


def _held_in(conversation: Conversation):
    """(visit, clinic) the conversation was held in, or (None, None)."""
    visit = get_in_org(Visit, conversation.visit_id, _org_id()) if conversation.visit_id else None
    clinic = get_in_org(Clinic, visit.clinic_id, _org_id()) if visit else None
    return visit, clinic


@bp.route("/conversations/<uuid:conversation_id>")
@role_required("nurse")
def conversation(conversation_id: uuid.UUID):
    get_in_org_or_404(Conversation, conversation_id, _org_id())
    with write_transaction():  # her alias and the notes are read: audited (SECURITY.md 20)
        conversation = get_in_org_or_404(Conversation, conversation_id, _org_id())
        record("conversation.read", user=caller(), obj=conversation)
    visit, clinic = _held_in(conversation)
    return render_template(
        "fieldwork/conversation.html",
        conversation=conversation,
        person=get_in_org(Person, conversation.person_id, _org_id()),
        visit=visit,
        clinic=clinic,
        indicator_labels=code_labels(current_user.organisation, "indicators"),
        may_edit=current_user.has_role("coordinator"),
    )


def _conversation_form_page(form, conversation: Conversation, status: int = 200):
    visit, clinic = _held_in(conversation)
    return (
        render_template(
            "fieldwork/conversation_form.html",
            form=form,
            conversation=conversation,
            visit=visit,
            clinic=clinic,
        ),
        status,
    )


@bp.route("/conversations/<uuid:conversation_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit_conversation(conversation_id: uuid.UUID):
    conversation = get_in_org_or_404(Conversation, conversation_id, _org_id())
    choices = _conversation_choices(conversation)
    etag = person_queries.conversation_etag
    if request.method == "GET":
        with write_transaction():  # the form shows the conversation: a read, audited
            record("conversation.read", user=caller(), obj=conversation)
        form = ConversationForm.for_conversation(conversation, etag(conversation), **choices)
        return _conversation_form_page(form, conversation)

    form = ConversationForm(**choices)
    valid = form.validate_on_submit()
    data = form.load(form.conversation_data(conversation.visit_id)) if valid else None
    if data is None:
        return _conversation_form_page(form, conversation, 422)
    try:
        result = person_services.put_conversation(
            caller(), conversation.id, data, form.version.data or None
        )
    except FieldErrors as errors:
        form.add_errors(errors.errors)
        return _conversation_form_page(form, conversation, 422)
    except PreconditionFailed:  # raised before anything changed
        current = get_in_org_or_404(Conversation, conversation_id, _org_id())
        fresh = ConversationForm.for_conversation(current, etag(current), **choices)
        fresh.form_errors.append(_stale_message())
        names = {n: form[n].label.text for n in person_services.CONVERSATION_FIELDS if n in form}
        visit_id = conversation.visit_id
        typed = form.conversation_data(visit_id)
        _not_saved(fresh, typed, fresh.conversation_data(visit_id), names)
        return _conversation_form_page(fresh, current, 409)
    except (RecordNotFound, NotAllowed):
        abort(404)
    db.session.commit()
    flash(_("Conversation saved.") if result.changed else _("Nothing was changed."), "success")
    return redirect(url_for("fieldwork.conversation", conversation_id=conversation.id), 303)
