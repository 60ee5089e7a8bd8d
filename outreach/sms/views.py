"""The SMS settings page (/settings/sms): templates per language, the team's number and the
per-number limit. Coordinators read it; admins change it (DESIGN.md §2: settings are the
admin's). sms.services stores each change and writes the audit event."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach import phones
from outreach.db import db
from outreach.permissions import role_required
from outreach.sms import queries, services
from outreach.sms.forms import OptionsForm, RemoveTemplateForm, TemplateForm

bp = Blueprint("sms_settings", __name__, url_prefix="/settings/sms")


def _org():
    return current_user.organisation


def _page(status: int = 200, template_form=None, options_form=None):
    org = _org()
    sms = queries.sms_settings(org)
    if options_form is None:
        team = sms["team_phone"]
        options_form = OptionsForm(
            formdata=None,
            team_phone=phones.display(team) if team else "",
            period_days=str(sms["period_days"]),
        )
    return (
        render_template(
            "settings/sms.html",
            sms=sms,
            template_form=template_form
            or TemplateForm(formdata=None, likely=queries.likely_languages(org)),
            options_form=options_form,
            remove_form=RemoveTemplateForm(formdata=None),
            example=lambda body: queries.fill(body, current_user.display_name, sms["team_phone"]),
            do_not_contact=queries.do_not_contact_count(org.id),
            sender_field=queries.SENDER_FIELD,
            team_phone_field=queries.TEAM_PHONE_FIELD,
        ),
        status,
    )


def _saved(changed: bool, anchor: str):
    db.session.commit()
    flash(
        _("Saved. Phones get it the next time they sync.")
        if changed
        else _("Nothing was changed."),
        "success" if changed else "info",
    )
    return redirect(url_for("sms_settings.index", _anchor=anchor), 303)


@bp.route("/")
@role_required("coordinator")
def index():
    return _page()


@bp.route("/templates", methods=["POST"])
@role_required("admin")
def save_template():
    form = TemplateForm(likely=queries.likely_languages(_org()))
    if form.validate_on_submit():
        try:
            changed = services.set_template(
                _org(), form.language.data, form.body.data, current_user._get_current_object()
            )
        except services.SmsSettingsError as exc:
            form.body.errors.append(str(exc))
        else:
            return _saved(changed, "templates")
    return _page(422, template_form=form)


@bp.route("/templates/remove", methods=["POST"])
@role_required("admin")
def remove_template():
    form = RemoveTemplateForm()
    changed = form.validate_on_submit() and services.remove_template(
        _org(), form.language.data, current_user._get_current_object()
    )
    return _saved(bool(changed), "templates")


@bp.route("/options", methods=["POST"])
@role_required("admin")
def options():
    form = OptionsForm()
    if form.validate_on_submit():
        try:
            changed = services.set_options(
                _org(), form.team_phone.data, form.days(), current_user._get_current_object()
            )
        except services.SmsSettingsError as exc:
            form.team_phone.errors.append(str(exc))
        else:
            return _saved(changed, "options")
    return _page(422, options_form=form)
