"""The lead pages: list with filters (and as a CSV or XLSX file), record/edit, one lead
with its sightings, status actions, link or make a clinic, the phone-number groups, the list
of sites, CSV import.

Nurses record and update leads; coordinators dismiss them, link them to clinics, export the
list, see the groups, keep the list of sites and import. Every change goes through
services.py (or csv_import.py, which uses it); views parse, call and render. Nothing personal
(number, address, alias, notes) goes into a URL, a flash message or an audit event.
"""

import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from outreach import csvsafe, phonegroups, xlsxsafe
from outreach.apiutil import caller
from outreach.audit.services import record
from outreach.clinics.models import Clinic
from outreach.db import db, utcnow, write_transaction
from outreach.errors import FieldErrors
from outreach.leads import csv_import, exports, queries, services
from outreach.leads.forms import (
    ActionForm,
    DismissForm,
    LeadFilterForm,
    LeadForm,
    LinkForm,
    NewClinicForm,
    SitesForm,
)
from outreach.leads.models import Lead
from outreach.orgs.models import Organisation
from outreach.orgs.queries import lead_sites, screening_window_days, settings_revision
from outreach.orgs.services import SettingsError, set_lead_sites, set_screening_window
from outreach.permissions import role_required
from outreach.records import NotAllowed, PreconditionFailed, RecordNotFound
from outreach.tenancy import get_in_org, get_in_org_or_404

bp = Blueprint("leads", __name__, url_prefix="/leads")

PER_PAGE = 50
GROUPS_SHOWN = 50


def _org() -> Organisation:
    return db.session.get(Organisation, current_user.organisation_id)


def _lead_or_404(lead_id: uuid.UUID) -> Lead:
    return get_in_org_or_404(Lead, lead_id, current_user.organisation_id)


# List


def _filter_form(org: Organisation) -> LeadFilterForm:
    return LeadFilterForm(request.args, regions=org.region_slugs, sites=lead_sites(org))


def _list_page(org: Organisation, form: LeadFilterForm, status: int = 200):
    page = min(max(request.args.get("page", 1, type=int), 1), 1_000_000)
    with write_transaction():  # the list shows protected data: audited like a read
        rows, total, page = queries.list_leads(
            caller(), form.filters(), page=page, per_page=PER_PAGE, last_if_past=True
        )
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return (
        render_template(
            "leads/index.html",
            form=form,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            args=form.active_args(),
            has_sites=bool(lead_sites(org)),
            csv_format=csvsafe.default_format(),
        ),
        status,
    )


@bp.route("/")
@role_required("nurse")
def index():
    org = _org()
    return _list_page(org, _filter_form(org))


# The list as a file (coordinators)


def _export(extension: str):
    """Every lead the list's filters select, as a file. A filter that is not valid is named
    on the list page (422) rather than left out of a file that would then hold more leads
    than the coordinator asked for."""
    org = _org()
    form = _filter_form(org)
    format_name = request.args.get("format") or csvsafe.default_format()
    if extension == "csv" and format_name not in csvsafe.FORMATS:
        form.form_errors.append(_("Choose the CSV format semicolon or comma."))
    if form.errors or form.form_errors:
        return _list_page(org, form, 422)
    filters = form.filters()
    table = exports.table(org.id, filters)
    if extension == "csv":
        content, mimetype = exports.to_csv(table, format_name), "text/csv"
    else:
        content = exports.to_xlsx(table, org, filtered=bool(form.active_args()))
        mimetype = xlsxsafe.MIME_TYPE
    with write_transaction():  # the file leaves the system: audited, counts and codes only
        record(
            "lead.export",
            user=caller(),
            object_type="leads",
            rows=len(table.rows),
            format=format_name if extension == "csv" else "xlsx",
            **queries.audited_filters(filters),
        )
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{exports.file_name(extension)}"'},
    )


@bp.route("/export.csv")
@role_required("coordinator")
def export_csv():
    return _export("csv")


@bp.route("/export.xlsx")
@role_required("coordinator")
def export_xlsx():
    return _export("xlsx")


# One lead


@bp.route("/<uuid:lead_id>")
@role_required("nurse")
def detail(lead_id):
    with write_transaction():  # every read of a lead is audited
        lead = queries.read_lead(caller(), lead_id)
    if lead is None:
        abort(404)
    clinic = get_in_org(Clinic, lead.clinic_id, lead.organisation_id) if lead.clinic_id else None
    coordinator = current_user.has_role("coordinator")
    return render_template(
        "leads/detail.html",
        lead=lead,
        clinic=clinic,
        sightings=queries.sightings(lead),
        group=phonegroups.group_of(lead),
        suggestions=queries.nearby_clinics(lead) if coordinator and not clinic else [],
        action_form=ActionForm(),
        dismiss_form=DismissForm(),
        link_form=LinkForm(),
        clinic_form=NewClinicForm(name=services.clinic_name(lead)),
    )


def _render_form(form: LeadForm, lead: Lead | None, status: int = 200):
    return render_template("leads/form.html", form=form, lead=lead), status


@bp.route("/new", methods=["GET", "POST"])
@role_required("nurse")
def create():
    sites = lead_sites(_org())
    form = LeadForm(sites=sites)
    if request.method == "GET" or not form.validate_on_submit():
        return _render_form(form, None, 200 if request.method == "GET" else 422)
    try:
        recorded = services.record_lead(caller(), form.loaded)
    except FieldErrors as error:
        form.add_errors(error.errors)
        return _render_form(form, None, 422)
    db.session.commit()
    if recorded.created:
        flash(_("Lead saved."), "success")
    else:
        flash(
            _(
                "This ad was recorded before: it got a new sighting instead of a second lead. "
                "Check its details below."
            ),
            "info",
        )
    return redirect(url_for("leads.detail", lead_id=recorded.lead.id))


@bp.route("/<uuid:lead_id>/edit", methods=["GET", "POST"])
@role_required("nurse")
def edit(lead_id):
    lead = _lead_or_404(lead_id)
    sites = lead_sites(_org())
    if request.method == "GET":
        form = LeadForm.for_lead(lead, sites=sites, version=queries.etag(lead))
        return _render_form(form, lead)
    form = LeadForm(sites=sites, current_site=lead.site)
    form.lead = lead
    if not form.validate_on_submit():
        return _render_form(form, lead, 422)
    try:
        result = services.put_lead(caller(), lead.id, form.loaded, form.version.data or None)
    except FieldErrors as error:
        form.add_errors(error.errors)
        return _render_form(form, lead, 422)
    except RecordNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except PreconditionFailed:  # raised before anything changed
        form.version.data = queries.etag(lead)
        form.form_errors.append(
            _(
                "Someone else saved this lead after you opened it. Your changes are below "
                "and are not saved yet: check them against the current lead, then save again."
            )
        )
        return _render_form(form, lead, 409)
    db.session.commit()
    flash(_("Lead saved.") if result.changed else _("Nothing was changed."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


# Status and clinic


def _checked(form) -> None:
    if not form.validate_on_submit():
        abort(400)


@bp.route("/<uuid:lead_id>/seen-again", methods=["POST"])
@role_required("nurse")
def seen_again(lead_id):
    lead = _lead_or_404(lead_id)
    _checked(ActionForm())
    services.add_sighting(caller(), lead, utcnow(), None, [])
    db.session.commit()
    flash(_("Sighting added: last seen now."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.route("/<uuid:lead_id>/to-verify", methods=["POST"])
@role_required("nurse")
def to_verify(lead_id):
    lead = _lead_or_404(lead_id)
    _checked(ActionForm())
    services.mark_to_verify(caller(), lead)
    db.session.commit()
    flash(_("The lead is marked to verify."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.route("/<uuid:lead_id>/dismiss", methods=["POST"])
@role_required("coordinator")
def dismiss(lead_id):
    lead = _lead_or_404(lead_id)
    form = DismissForm()
    _checked(form)
    services.dismiss(caller(), lead, form.reason.data)
    db.session.commit()
    flash(_("The lead is dismissed."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.route("/<uuid:lead_id>/reopen", methods=["POST"])
@role_required("coordinator")
def reopen(lead_id):
    lead = _lead_or_404(lead_id)
    _checked(ActionForm())
    services.reopen(caller(), lead)
    db.session.commit()
    flash(_("The lead is back to verify."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.route("/<uuid:lead_id>/link", methods=["POST"])
@role_required("coordinator")
def link(lead_id):
    lead = _lead_or_404(lead_id)
    form = LinkForm()
    _checked(form)
    try:
        clinic_id = uuid.UUID(form.clinic_id.data)
    except ValueError:
        abort(400)
    # Another organisation's clinic is not found, as in the URL.
    clinic = get_in_org_or_404(Clinic, clinic_id, lead.organisation_id)
    services.link(caller(), lead, clinic)
    db.session.commit()
    flash(_("The lead is linked to the clinic."), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.route("/<uuid:lead_id>/new-clinic", methods=["POST"])
@role_required("coordinator")
def new_clinic(lead_id):
    lead = _lead_or_404(lead_id)
    form = NewClinicForm()
    _checked(form)
    clinic = services.create_clinic(caller(), lead, form.name.data)
    db.session.commit()
    flash(_("A clinic to verify was made from the lead, and the lead is linked to it."), "success")
    return redirect(url_for("clinics.detail", clinic_id=clinic.id))


# Groups by phone number


@bp.route("/groups")
@role_required("coordinator")
def groups():
    order = "newest" if request.args.get("order") == "newest" else "largest"
    org_id = current_user.organisation_id
    found = phonegroups.phone_groups(org_id, order=order, limit=GROUPS_SHOWN)
    with write_transaction():  # the page shows numbers and addresses: audited, never which
        record("lead.groups", user=caller(), object_type="leads", count=len(found), order=order)
    return render_template("leads/groups.html", groups=found, order=order)


# The list of sites and the screening window (settings)


@bp.route("/sites", methods=["GET", "POST"])
@role_required("coordinator")
def sites():
    org = _org()
    form = SitesForm()
    if request.method == "GET":
        form.sites.data = "\n".join(lead_sites(org))
        form.window_days.data = screening_window_days(org)
        return render_template(
            "leads/sites.html", form=form, revision=settings_revision(org, "lead_sites")
        )
    status = 422
    if form.validate_on_submit():
        try:
            changed = set_lead_sites(
                org, form.site_names(), caller(), request.form.get("revision") or None
            )
            changed = set_screening_window(org, form.window_days.data, caller()) or changed
        except SettingsError as error:
            db.session.rollback()
            form.sites.errors = [*form.sites.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Settings saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("leads.sites"))
    return (
        render_template(
            "leads/sites.html", form=form, revision=settings_revision(org, "lead_sites")
        ),
        status,
    )


# CSV import


def _import_page(form=None, problem: str | None = None, status: int = 200):
    return (
        render_template(
            "leads/import.html",
            form=form or csv_import.ImportUploadForm(),
            problem=problem,
            columns=csv_import.COLUMNS,
            sites=lead_sites(_org()),
            max_rows=csv_import.SPEC.max_rows,
            max_mb=csv_import.SPEC.max_bytes // (1024 * 1024),
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@role_required("coordinator")
def import_csv():
    """Upload a CSV and preview every row; nothing is stored here."""
    form = csv_import.ImportUploadForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form, status=422)
    upload = form.file.data
    try:
        content = upload.stream.read(csv_import.SPEC.max_bytes + 1)
    finally:
        upload.close()
    try:
        preview = csv_import.read(content, current_user.organisation_id)
    except csv_import.UploadRejected as exc:
        return _import_page(form, problem=str(exc), status=422)
    upload_id = csv_import.new_upload_id()
    confirm = csv_import.ImportConfirmForm(upload=csv_import.seal(content, caller(), upload_id))
    return render_template(
        "leads/import_preview.html", preview=preview, confirm=confirm, filename=upload.filename
    )


@bp.route("/import/confirm", methods=["POST"])
@role_required("coordinator")
def import_confirm():
    """Record the valid rows of the previewed file (the same ad seen before: a sighting)."""
    form = csv_import.ImportConfirmForm()
    if not form.validate_on_submit():
        return _import_page(problem=_("The upload was lost. Upload the file again."), status=422)
    user = caller()
    try:
        content, upload_id = csv_import.unseal(form.upload.data, user)
        preview = csv_import.read(content, user.organisation_id)
        result = csv_import.import_valid_rows(user, preview, upload_id)
    except csv_import.UploadRejected as exc:
        return _import_page(problem=str(exc), status=422)
    db.session.commit()
    message = ngettext("Recorded %(num)d new lead.", "Recorded %(num)d new leads.", result.created)
    if result.sightings:
        message += " " + ngettext(
            "%(num)d row was an ad seen before and became a sighting.",
            "%(num)d rows were ads seen before and became sightings.",
            result.sightings,
        )
    if result.skipped:
        message += " " + ngettext(
            "%(num)d row with problems was left out.",
            "%(num)d rows with problems were left out.",
            result.skipped,
        )
    flash(message, "success")
    return redirect(url_for("leads.index"))


@bp.route("/import/example.csv")
@role_required("coordinator")
def import_example():
    delimiter = "," if request.args.get("separator") == "comma" else ";"
    return Response(
        csv_import.example_csv(_org(), delimiter),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=leads-example.csv"},
    )
