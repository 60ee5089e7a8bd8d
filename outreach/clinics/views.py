"""The clinic registry pages: list with map, detail, create/edit, close/reopen, CSV import.

Coordinators keep the registry; nurses read it, add and edit clinics, but may not close one.
Every change goes through services.py (or csv_import.py, which uses it); views parse, call and
render.
"""

import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from outreach import phonegroups
from outreach.apiutil import caller
from outreach.clinics import csv_import, queries, services
from outreach.clinics.forms import (
    ClinicFilterForm,
    ClinicForm,
    ImportConfirmForm,
    ImportUploadForm,
)
from outreach.clinics.models import CLINIC_KINDS, CLINIC_STATUSES, WEEKDAYS, Clinic
from outreach.db import db
from outreach.orgs.models import REGION_NAMES, REGION_SLUGS
from outreach.permissions import role_required
from outreach.records import NotAllowed, PreconditionFailed, RecordNotFound
from outreach.tenancy import get_in_org_or_404
from outreach.vocabulary import label

bp = Blueprint("clinics", __name__, url_prefix="/clinics")

PER_PAGE = 50
MAP_MARKER_LIMIT = 5000
RECENT_VISITS = 20


def _filter_form() -> ClinicFilterForm:
    return ClinicFilterForm(request.args, regions=current_user.organisation.region_slugs)


# List and map


@bp.route("/")
@role_required("nurse")
def index():
    form = _filter_form()
    filters = form.filters()
    # Bounded so that the row offset always fits a database integer (as in the API).
    page = min(max(request.args.get("page", 1, type=int), 1), 1_000_000)
    org_id = current_user.organisation_id
    rows, total = queries.list_clinics(org_id, filters, page=page, per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    if page > pages:  # a link from before the list got shorter
        page = pages
        rows, total = queries.list_clinics(org_id, filters, page=page, per_page=PER_PAGE)
    args = form.active_args()
    return render_template(
        "clinics/index.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        args=args,
        markers_url=url_for("clinics.markers", **args),
    )


@bp.route("/markers.json")
@role_required("nurse")
def markers():
    """The map's markers: the filtered clinics that have coordinates (same filters as the list)."""
    rows, without = queries.map_points(
        current_user.organisation_id, _filter_form().filters(), limit=MAP_MARKER_LIMIT + 1
    )
    truncated = len(rows) > MAP_MARKER_LIMIT
    return jsonify(
        markers=[
            {
                "id": str(clinic_id),
                "name": name,
                "lat": lat,
                "lon": lon,
                "status": status,
                "kind_label": label(CLINIC_KINDS, kind),
                "status_label": label(CLINIC_STATUSES, status),
                "url": url_for("clinics.detail", clinic_id=clinic_id),
            }
            for clinic_id, name, kind, status, lat, lon in rows[:MAP_MARKER_LIMIT]
        ],
        without_coordinates=without,
        truncated=truncated,
    )


# One clinic


def _clinic_or_404(clinic_id: uuid.UUID) -> Clinic:
    return get_in_org_or_404(Clinic, clinic_id, current_user.organisation_id)


@bp.route("/<uuid:clinic_id>")
@role_required("nurse")
def detail(clinic_id):
    clinic = _clinic_or_404(clinic_id)
    visits, visit_count = queries.recent_visits(clinic, RECENT_VISITS)
    return render_template(
        "clinics/detail.html",
        clinic=clinic,
        visits=visits,
        visit_count=visit_count,
        weekdays=WEEKDAYS,
        group=phonegroups.group_of(clinic),
    )


def _render_form(form: ClinicForm, clinic: Clinic | None, status: int = 200):
    return (
        render_template("clinics/form.html", form=form, clinic=clinic, weekdays=WEEKDAYS),
        status,
    )


def _save(form: ClinicForm, clinic: Clinic | None):
    """Validate and save the form; the page to answer with."""
    if not form.validate_on_submit():
        return _render_form(form, clinic, 422)
    clinic_id = clinic.id if clinic else form.clinic_uuid()
    data = form.clinic_data(source=clinic.source if clinic else "registry")
    try:
        result = services.put_clinic(caller(), clinic_id, data, form.version.data or None)
    except RecordNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except PreconditionFailed:  # raised before anything changed
        current = _clinic_or_404(clinic_id)
        form.version.data = queries.etag(current)
        form.form_errors.append(
            _(
                "Someone else saved this clinic after you opened it. Your changes are below "
                "and are not saved yet: check them against the current clinic, then save again."
            )
        )
        return _render_form(form, current, 409)
    db.session.commit()
    if not result.changed:
        flash(_("Nothing was changed."), "info")
    elif result.obj.geocode_status == "town":
        flash(
            _(
                "Clinic saved. The address could not be looked up right now, so the clinic "
                "stands at the centre of its town on the map until it is (tried again "
                "automatically)."
            ),
            "success",
        )
    elif result.obj.geocode_status == "pending":
        flash(
            _(
                "Clinic saved. The address could not be looked up right now; "
                "it is tried again automatically."
            ),
            "success",
        )
    else:
        flash(_("Clinic saved."), "success")
    return redirect(url_for("clinics.detail", clinic_id=result.obj.id))


@bp.route("/new", methods=["GET", "POST"])
@role_required("nurse")
def create():
    form = ClinicForm(may_close=current_user.has_role("coordinator"))
    if request.method == "GET":
        return _render_form(form, None)
    return _save(form, None)


@bp.route("/<uuid:clinic_id>/edit", methods=["GET", "POST"])
@role_required("nurse")
def edit(clinic_id):
    clinic = _clinic_or_404(clinic_id)
    may_close = current_user.has_role("coordinator")
    if request.method == "GET":
        form = ClinicForm.for_clinic(clinic, may_close=may_close, version=queries.etag(clinic))
        return _render_form(form, clinic)
    return _save(ClinicForm(may_close=may_close, current_status=clinic.status), clinic)


@bp.route("/<uuid:clinic_id>/close", methods=["POST"])
@role_required("coordinator")
def close(clinic_id):
    clinic = _clinic_or_404(clinic_id)
    services.close_clinic(caller(), clinic)
    db.session.commit()
    flash(_("The clinic is marked as closed."), "success")
    return redirect(url_for("clinics.detail", clinic_id=clinic.id))


@bp.route("/<uuid:clinic_id>/reopen", methods=["POST"])
@role_required("nurse")
def reopen(clinic_id):
    clinic = _clinic_or_404(clinic_id)
    services.reopen_clinic(caller(), clinic)
    db.session.commit()
    flash(_("The clinic is marked as active again."), "success")
    return redirect(url_for("clinics.detail", clinic_id=clinic.id))


# CSV import


def _import_page(form=None, problem: str | None = None, status: int = 200):
    return (
        render_template(
            "clinics/import.html",
            form=form or ImportUploadForm(),
            problem=problem,
            columns=csv_import.COLUMNS,
            kinds=CLINIC_KINDS,
            statuses=CLINIC_STATUSES,
            regions=REGION_SLUGS,
            region_names=REGION_NAMES,
            max_rows=csv_import.MAX_ROWS,
            max_mb=csv_import.MAX_BYTES // (1024 * 1024),
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@role_required("coordinator")
def import_csv():
    """Upload a CSV and preview every row; nothing is stored here."""
    form = ImportUploadForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form, status=422)
    upload = form.file.data
    try:
        content = upload.stream.read(csv_import.MAX_BYTES + 1)  # more is refused, not read
    finally:
        upload.close()  # a large upload is a temporary file on disk
    try:
        preview = csv_import.read(content, current_user.organisation_id)
    except csv_import.UploadRejected as exc:
        return _import_page(form, problem=str(exc), status=422)
    upload_id = csv_import.new_upload_id()
    confirm = ImportConfirmForm(upload=csv_import.seal(content, caller(), upload_id))
    return render_template(
        "clinics/import_preview.html",
        preview=preview,
        confirm=confirm,
        filename=upload.filename,
    )


@bp.route("/import/confirm", methods=["POST"])
@role_required("coordinator")
def import_confirm():
    """Import the valid rows of the previewed file, checked again against the registry now."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        return _import_page(problem=_("The upload was lost. Upload the file again."), status=422)
    user = caller()
    try:
        content, upload_id = csv_import.unseal(form.upload.data, user)
        preview = csv_import.read(content, user.organisation_id)
        result = csv_import.import_valid_rows(user, preview, upload_id)
    except csv_import.UploadRejected as exc:  # raised before anything changed
        return _import_page(problem=str(exc), status=422)
    db.session.commit()
    message = ngettext("Imported %(num)d clinic.", "Imported %(num)d clinics.", result.imported)
    if result.skipped:
        message += " " + ngettext(
            "%(num)d row with problems was left out.",
            "%(num)d rows with problems were left out.",
            result.skipped,
        )
    flash(message, "success")
    return redirect(url_for("clinics.index"))


@bp.route("/import/example.csv")
@role_required("coordinator")
def import_example():
    delimiter = "," if request.args.get("separator") == "comma" else ";"
    return Response(
        csv_import.example_csv(delimiter),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=clinics-example.csv"},
    )
