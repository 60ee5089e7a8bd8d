"""The planning pages (/routes/): plan a day, adjust the candidates, optimise, re-order by
hand, save for the nurses, print the day sheet, export GPX. Coordinators and admins only.

Every action is a plain form POST answered by a redirect, so the page works without
JavaScript; the maps (area drawing, the routes) are added by static/js/routing/ when it runs.
"""

import uuid
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db, write_transaction
from outreach.errors import FieldErrors
from outreach.permissions import role_required
from outreach.routing import candidates, export, queries, services
from outreach.routing.forms import PlanForm, SearchForm, save_form
from outreach.routing.models import RoutePlan
from outreach.routing.wording import reason_text, violation_text
from outreach.tenancy import get_in_org_or_404

bp = Blueprint("routing", __name__, url_prefix="/routes")

# The colours of clinics on the maps (static/css/routing.css), as the legends name them.
STATUS_LEGEND = {
    "active": _l("Not on a route: active clinic"),
    "unknown": _l("Not on a route: status unknown"),
    "closed": _l("Not on a route: marked closed"),
}


def _actor() -> User:
    return current_user._get_current_object()


def _staff() -> list[User]:
    return queries.staff(current_user.organisation_id)


def _plan(plan_id: uuid.UUID) -> RoutePlan:
    plan = queries.get_plan(current_user.organisation_id, plan_id)
    if plan is None:
        abort(404)
    return plan


def _to_plan(plan: RoutePlan, anchor: str | None = None):
    # The candidates are folded away unless the coordinator is working on them.
    unfold = {"candidates": 1} if anchor == "candidates" else {}
    return redirect(url_for("routing.plan", plan_id=plan.id, _anchor=anchor, **unfold), 303)


@bp.route("/", methods=["GET", "POST"])
@role_required("coordinator")
def index():
    organisation = current_user.organisation
    form = PlanForm(organisation, _staff())
    if form.validate_on_submit():
        try:
            plan = services.create_plan(_actor(), form.plan_input(), top_only=True)
        except FieldErrors as exc:
            form.show_errors(exc.errors)
        else:
            db.session.commit()
            return _to_plan(plan)
    plans, _total = queries.list_plans(current_user.organisation_id, per_page=30)
    status = 422 if form.is_submitted() else 200
    return render_template("routing/index.html", form=form, plans=plans), status


@bp.route("/<uuid:plan_id>")
@role_required("coordinator")
def plan(plan_id: uuid.UUID):
    return _plan_page(_plan(plan_id))


def _plan_page(plan: RoutePlan, *, save=None, status: int = 200):
    search = SearchForm(request.args)
    found = []
    if search.q.data and search.q.data.strip():
        found = candidates.search_clinics(plan, search.q.data[:100])
    rows = candidates.candidate_rows(plan, found)
    found_ids = {c.id for c in found}
    users = _staff()
    clinics = queries.clinics_of(plan)
    by_id = {str(k): v for k, v in clinics.items()}
    left_out = [by_id.get(u["clinic_id"]) for u in plan.unassigned]
    on_map = {c.status for c in left_out if c and c.lat is not None}
    return (
        render_template(
            "routing/plan.html",
            plan=plan,
            candidates=[r for r in rows if r.included],
            others=[r for r in rows if not r.included and r.clinic.id not in found_ids],
            found=[r for r in rows if not r.included and r.clinic.id in found_ids],
            search=search,
            clinics=clinics,
            clinics_by_id=by_id,
            left_out_statuses=[s for s in STATUS_LEGEND if s in on_map],
            status_legend=STATUS_LEGEND,
            names={str(u.id): u.display_name for u in users},
            save=save or save_form(plan, users),
            has_violations=queries.has_violations(plan),
            reason_text=reason_text,
            violation_text=violation_text,
            maps=export,
            trip_days=sheet_days(plan, None) if plan.is_trip else [],
        ),
        status,
    )


@bp.route("/<uuid:plan_id>/settings", methods=["GET", "POST"])
@role_required("coordinator")
def plan_settings(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    organisation = current_user.organisation
    formdata = request.form if request.method == "POST" else None
    form = PlanForm.for_plan(plan, organisation, _staff(), formdata=formdata)
    if request.method == "POST" and form.validate():
        try:
            services.update_settings(_actor(), plan, form.plan_input())
        except FieldErrors as exc:
            form.show_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("The settings are changed; optimise again."), "success")
            return _to_plan(plan)
    status = 422 if request.method == "POST" else 200
    return render_template("routing/settings.html", form=form, plan=plan), status


def _clinic(clinic_id: uuid.UUID) -> Clinic:
    return get_in_org_or_404(Clinic, clinic_id, current_user.organisation_id)


@bp.route("/<uuid:plan_id>/candidates/<uuid:clinic_id>/include", methods=["POST"])
@role_required("coordinator")
def include(plan_id: uuid.UUID, clinic_id: uuid.UUID):
    plan = _plan(plan_id)
    services.include_clinic(_actor(), plan, _clinic(clinic_id))
    db.session.commit()
    return _to_plan(plan, "candidates")


@bp.route("/<uuid:plan_id>/candidates/<uuid:clinic_id>/exclude", methods=["POST"])
@role_required("coordinator")
def exclude(plan_id: uuid.UUID, clinic_id: uuid.UUID):
    plan = _plan(plan_id)
    services.exclude_clinic(_actor(), plan, _clinic(clinic_id))
    db.session.commit()
    return _to_plan(plan, "candidates")


@bp.route("/<uuid:plan_id>/optimise", methods=["POST"])
@role_required("coordinator")
def optimise(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    if not plan.clinic_ids:
        flash(_("Add at least one clinic before optimising."), "error")
        return _to_plan(plan, "candidates")
    services.optimise(_actor(), plan)
    db.session.commit()
    flash(_("The routes are planned."), "success")
    return _to_plan(plan, "result")


@bp.route("/<uuid:plan_id>/routes/<int:route>/stops/<int:stop>", methods=["POST"])
@role_required("coordinator")
def stop_action(plan_id: uuid.UUID, route: int, stop: int):
    """Up, down, to another route, or off the plan: the buttons beside each stop."""
    plan = _plan(plan_id)
    action = request.form.get("action", "")
    try:
        if action in ("up", "down"):
            services.move_stop(_actor(), plan, route, stop, -1 if action == "up" else 1)
        elif action == "remove":
            services.remove_stop(_actor(), plan, route, stop)
        elif action == "to_route":
            target = request.form.get("target", type=int)
            if target is None:
                abort(400)
            services.move_stop_to_route(_actor(), plan, route, stop, target)
        else:
            abort(400)
    except services.NoSuchStop:
        abort(404)
    db.session.commit()
    if queries.has_violations(plan):
        flash(_("The new order breaks opening hours or the shift end; see the warnings."), "error")
    return _to_plan(plan, f"route-{route + 1}")


@bp.route("/<uuid:plan_id>/save", methods=["POST"])
@role_required("coordinator")
def save(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    form = save_form(plan, _staff(), formdata=request.form)
    if form.validate():
        nurse_ids = [form[f"route_{r.position}"].data or None for r in plan.routes]
        try:
            services.save_plan(_actor(), plan, nurse_ids, form.confirm_violations.data)
        except FieldErrors as exc:
            for key, messages in exc.errors.items():
                if key == "confirm_violations":
                    field = form.confirm_violations
                    field.errors = [*field.errors, *messages]
                else:
                    form.form_errors.extend(messages)
        else:
            db.session.commit()
            flash(_("The plan is saved and sent to the nurses' phones."), "success")
            return _to_plan(plan, "result")
    # The save form is at the end of a long page: say at the top what stopped it.
    problems = [*form.form_errors, *(m for field in form for m in field.errors)]
    flash(_("The plan was not saved: %(problems)s", problems=" ".join(map(str, problems))), "error")
    return _plan_page(plan, save=form, status=422)


@bp.route("/<uuid:plan_id>/reopen", methods=["POST"])
@role_required("coordinator")
def reopen(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    services.reopen_plan(_actor(), plan)
    db.session.commit()
    flash(
        _("The plan is a draft again and has left the nurses' phones; save it to send it again."),
        "success",
    )
    return _to_plan(plan, "result")


@bp.route("/<uuid:plan_id>/delete", methods=["POST"])
@role_required("coordinator")
def delete(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    day = plan.date
    services.delete_plan(_actor(), plan)
    db.session.commit()
    flash(_("The plan for %(day)s is deleted.", day=format_date(day, "full")), "success")
    return redirect(url_for("routing.index"), 303)


def _trip_day(plan: RoutePlan) -> int | None:
    """The `day` asked for (1-based) on a trip's sheet or GPX; 404 outside the trip, None
    when not asked (a trip's sheet then has every day, each on its own page)."""
    day = request.args.get("day", type=int)
    if day is not None and not (plan.is_trip and 1 <= day <= len(plan.days)):
        abort(404)
    return day


def sheet_days(plan: RoutePlan, day: int | None) -> list[dict]:
    """The days a sheet shows: {number, date, shift, start, end, routes}; one for a plan of
    one day."""
    if not plan.is_trip:
        home = queries.home_base(plan)
        return [
            {
                "number": None,
                "date": plan.date,
                "shift": (plan.shift_start, plan.shift_end),
                "start": home,
                "end": home,
                "routes": list(plan.routes),
            }
        ]
    found = []
    for index, stored in enumerate(plan.days):
        if day is not None and index != day - 1:
            continue
        start, end = queries.trip_bases(plan, index)
        found.append(
            {
                "number": index + 1,
                "date": date.fromisoformat(stored["date"]),
                "shift": (stored["shift_start"], stored["shift_end"]),
                "start": start,
                "end": end,
                "routes": [r for r in plan.routes if r.day == index],
            }
        )
    return found


@bp.route("/<uuid:plan_id>/sheet")
@role_required("coordinator")
def sheet(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    day = _trip_day(plan)
    with write_transaction():  # who printed which day's addresses and staff
        record("route_plan.sheet", user=_actor(), obj=plan, **({"day": day} if day else {}))
    return render_template(
        "routing/sheet.html",
        plan=plan,
        days=sheet_days(plan, day),
        clinics=queries.clinics_of(plan),
        names={str(u.id): u.display_name for u in _staff()},
        violation_text=violation_text,
        maps=export,
    )


@bp.route("/<uuid:plan_id>/plan.gpx")
@role_required("coordinator")
def gpx(plan_id: uuid.UUID):
    plan = _plan(plan_id)
    route = request.args.get("route", type=int)
    if route is not None and not 1 <= route <= len(plan.routes):
        abort(404)
    day = _trip_day(plan)
    body = export.gpx(plan, queries.clinics_of(plan), route=route, day=day)
    with write_transaction():  # an export leaves the system: audited
        record(
            "route_plan.gpx", user=_actor(), obj=plan, route=route, **({"day": day} if day else {})
        )
    name = (
        f"route-plan-{plan.date.isoformat()}"
        + (f"-day-{day}" if day else "")
        + (f"-{route}" if route else "")
        + ".gpx"
    )
    return Response(
        body,
        mimetype="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
