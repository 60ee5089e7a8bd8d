"""The clinic registry pages for coordinators (nurses may read)."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from outreach.auth.access import role_required
from outreach.clinics import services
from outreach.clinics.models import CLINIC_KINDS, CLINIC_STATUSES
from outreach.orgs.models import REGION_SLUGS

bp = Blueprint("clinics", __name__, url_prefix="/clinics")

PER_PAGE = 50


def _filters_from_args() -> services.ClinicFilters:
    from datetime import date

    args = request.args
    since = None
    if args.get("not_visited_since"):
        try:
            since = date.fromisoformat(args["not_visited_since"])
        except ValueError:
            since = None
    return services.ClinicFilters(
        region=args.get("region") if args.get("region") in REGION_SLUGS else None,
        kind=args.get("kind") if args.get("kind") in CLINIC_KINDS else None,
        status=args.get("status") if args.get("status") in CLINIC_STATUSES else None,
        q=(args.get("q") or "").strip()[:100] or None,
        not_visited_since=since,
    )


@bp.route("/")
@role_required("nurse")
def index():
    filters = _filters_from_args()
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = services.list_clinics(
        current_user.organisation_id, filters, page=page, per_page=PER_PAGE
    )
    return render_template(
        "clinics/index.html",
        rows=rows,
        total=total,
        filters=filters,
        page=page,
        per_page=PER_PAGE,
        kinds=CLINIC_KINDS,
        statuses=CLINIC_STATUSES,
        regions=current_user.organisation.region_slugs,
    )


@bp.route("/import", methods=["GET", "POST"])
@role_required("coordinator")
def import_csv():
    return render_template("clinics/import.html")
