"""The organisation settings page (coordinators and admins): supply list, indicator
checklist, the usual most per visit, offices, external services and retention. Each part is
its own form posting to its own URL; orgs.services stores it and writes the audit event."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.db import db
from outreach.i18n import LANGUAGES
from outreach.orgs import queries, services
from outreach.orgs.forms import (
    BLANK_OFFICE_ROWS,
    BLANK_ROWS,
    CodeListForm,
    ExternalServicesForm,
    LimitsForm,
    NurseSecondFactorForm,
    OfficesForm,
    RetentionForm,
)
from outreach.permissions import role_required

bp = Blueprint("settings", __name__, url_prefix="/settings")

CODE_KINDS = ("supplies", "indicators")


def _actor():
    return current_user._get_current_object()


def _org():
    return current_user.organisation


def _fresh_code_form(kind: str) -> CodeListForm:
    org = _org()
    rows = [
        {"code": code, **{f"label_{language}": text for language, text in texts.items()}}
        for code, texts in queries.editable_labels(org, kind)
    ]
    rows += [{}] * BLANK_ROWS
    return CodeListForm(
        formdata=None,
        prefix=kind,
        revision=queries.settings_revision(org, kind),
        rows=rows,
    )


def _fresh_offices_form() -> OfficesForm:
    org = _org()
    rows = [
        {"name": o.get("name", ""), "lat": _number(o.get("lat")), "lon": _number(o.get("lon"))}
        for o in queries.stored_offices(org)
    ]
    rows += [{}] * BLANK_OFFICE_ROWS
    return OfficesForm(
        formdata=None,
        prefix="offices",
        revision=queries.settings_revision(org, "offices"),
        rows=rows,
    )


def _fresh_limits_form() -> LimitsForm:
    org = _org()
    limits = queries.plausibility_limits(org)
    pack = queries.usual_pack(org)
    rows = [
        {"code": code, "limit": str(limits["supplies"][code]), "pack": str(pack.get(code, ""))}
        for code, _label in queries.code_list(org, "supplies")
    ]
    return LimitsForm(
        formdata=None,
        prefix="limits",
        revision=queries.settings_revision(org, "limits"),
        persons_present=str(limits["persons_present"]),
        rows=rows,
    )


def _fresh_external_form() -> ExternalServicesForm:
    allowed = queries.uses_external_services(_org())
    return ExternalServicesForm(
        formdata=None, prefix="external", choice="allowed" if allowed else "none"
    )


def _fresh_second_factor_form() -> NurseSecondFactorForm:
    required = queries.nurses_need_second_factor(_org())
    return NurseSecondFactorForm(
        formdata=None, prefix="second_factor", choice="required" if required else "optional"
    )


def _fresh_retention_form() -> RetentionForm:
    org = _org()
    return RetentionForm(
        formdata=None,
        prefix="retention",
        revision=queries.settings_revision(org, "retention"),
        years=str(queries.retention_years(org)),
    )


@bp.app_context_processor
def _map_tiles():
    """Every map's tile URL, "" when the organisation's maps go without a background."""
    user = current_user
    org = user.organisation if user and user.is_authenticated else None
    return {"map_tile_url": queries.map_tile_url(org)}


def _number(value) -> str:
    return "" if value is None else f"{float(value):.6f}".rstrip("0").rstrip(".")


def _with_blank_rows(form, wanted: int) -> None:
    """After a refused post, give the user empty rows again to keep adding."""
    blanks = sum(1 for row in form.rows if row.form.is_blank())
    for _index in range(max(wanted - blanks, 0)):
        form.rows.append_entry()


def _fallbacks(kind: str, form: CodeListForm) -> dict[str, dict[str, str]]:
    """{code: {language: label}}: what each row shows in a language left empty, as the
    placeholder of that field."""
    return {
        row.code.data: {
            language: queries.fallback_label(kind, row.code.data, language, row.labels())
            for language in LANGUAGES
        }
        for row in (entry.form for entry in form.rows)
        if row.code.data
    }


def _page(status: int = 200, **forms):
    for kind in CODE_KINDS:
        forms.setdefault(kind, _fresh_code_form(kind))
    forms.setdefault("limits", _fresh_limits_form())
    forms.setdefault("offices", _fresh_offices_form())
    forms.setdefault("external", _fresh_external_form())
    forms.setdefault("second_factor", _fresh_second_factor_form())
    forms.setdefault("retention", _fresh_retention_form())
    org = _org()
    stored = {kind: set((org.settings or {}).get(kind, [])) for kind in CODE_KINDS}
    return (
        render_template(
            "settings/index.html",
            forms=forms,
            stored=stored,
            required_language=queries.default_language(),
            fallbacks={kind: _fallbacks(kind, forms[kind]) for kind in CODE_KINDS},
            supply_labels=queries.code_labels(org, "supplies"),
            organisation=org,
        ),
        status,
    )


def _saved(changed: bool, anchor: str):
    db.session.commit()
    if changed:
        flash(_("Saved. Phones get the new list the next time they sync."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("settings.index", _anchor=anchor), 303)


@bp.route("/")
@role_required("coordinator")
def index():
    return _page()


def _post_code_list(kind: str):
    form = CodeListForm(prefix=kind)
    if form.validate_on_submit():
        try:
            changed = services.set_code_list(
                _org(), kind, form.entries(), _actor(), expected_revision=form.revision.data
            )
        except services.SettingsConflict as exc:
            fresh = _fresh_code_form(kind)
            fresh.form_errors.append(str(exc))
            return _page(409, **{kind: fresh})
        except services.SettingsError as exc:
            form.form_errors.append(str(exc))
        else:
            return _saved(changed, kind)
    _with_blank_rows(form, BLANK_ROWS)
    return _page(422, **{kind: form})


@bp.route("/supplies", methods=["POST"])
@role_required("coordinator")
def supplies():
    return _post_code_list("supplies")


@bp.route("/indicators", methods=["POST"])
@role_required("coordinator")
def indicators():
    return _post_code_list("indicators")


@bp.route("/limits", methods=["POST"])
@role_required("coordinator")
def limits():
    form = LimitsForm(prefix="limits")
    if form.validate_on_submit():
        try:
            changed = services.set_limits(
                _org(),
                form.persons_present_limit(),
                form.supply_limits(),
                _actor(),
                expected_revision=form.revision.data,
                pack=form.pack(),
            )
        except services.SettingsConflict as exc:
            fresh = _fresh_limits_form()
            fresh.form_errors.append(str(exc))
            return _page(409, limits=fresh)
        except services.SettingsError as exc:
            form.form_errors.append(str(exc))
        else:
            return _saved(changed, "limits")
    return _page(422, limits=form)


@bp.route("/offices", methods=["POST"])
@role_required("admin")  # DESIGN.md §2: settings beyond the checklists are the admin's
def offices():
    form = OfficesForm(prefix="offices")
    if form.validate_on_submit():
        try:
            changed = services.set_offices(
                _org(), form.entries(), _actor(), expected_revision=form.revision.data
            )
        except services.SettingsConflict as exc:
            fresh = _fresh_offices_form()
            fresh.form_errors.append(str(exc))
            return _page(409, offices=fresh)
        except services.SettingsError as exc:
            form.form_errors.append(str(exc))
        else:
            return _saved(changed, "offices")
    _with_blank_rows(form, BLANK_OFFICE_ROWS)
    return _page(422, offices=form)


@bp.route("/external-services", methods=["POST"])
@role_required("admin")  # DESIGN.md §2: settings beyond the checklists are the admin's
def external_services():
    form = ExternalServicesForm(prefix="external")
    if form.validate_on_submit():
        changed = services.set_external_services(_org(), form.allowed(), _actor())
        db.session.commit()
        if changed:
            flash(_("Saved."), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("settings.index", _anchor="external"), 303)
    return _page(422, external=form)


@bp.route("/second-factor", methods=["POST"])
@role_required("admin")
def second_factor():
    """Whether nurses must log in with a second factor; it applies from their next login."""
    form = NurseSecondFactorForm(prefix="second_factor")
    if form.validate_on_submit():
        changed = services.set_nurse_second_factor(_org(), form.required(), _actor())
        db.session.commit()
        if changed:
            flash(_("Saved. It applies from each nurse's next login."), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("settings.index", _anchor="second-factor"), 303)
    return _page(422, second_factor=form)


@bp.route("/retention", methods=["POST"])
@role_required("admin")  # DESIGN.md §2: settings beyond the checklists are the admin's
def retention():
    form = RetentionForm(prefix="retention")
    if form.validate_on_submit():
        try:
            changed = services.set_retention_years(
                _org(), form.retention_years(), _actor(), expected_revision=form.revision.data
            )
        except services.SettingsConflict as exc:
            fresh = _fresh_retention_form()
            fresh.form_errors.append(str(exc))
            return _page(409, retention=fresh)
        except services.SettingsError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                _("Saved.") if changed else _("Nothing was changed."),
                "success" if changed else "info",
            )
            return redirect(url_for("settings.index", _anchor="retention"), 303)
    return _page(422, retention=form)
