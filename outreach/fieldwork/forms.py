"""WTForms for correcting a visit and a conversation in the back office.

Each form turns what was typed into the body the API takes (DESIGN.md §4) and checks it
against the API's own schema (VisitInSchema, ConversationInSchema): one set of rules for
every way in. `version` carries the ETag the page was built from, so a save over someone
else's change is refused (412 in the API, the form again here) instead of overwriting it.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from outreach import vocabulary
from outreach.i18n import FlaskForm, translate_message
from outreach.persons.models import CHANNELS, REFERRALS, TOPICS
from outreach.persons.schemas import ConversationInSchema
from outreach.routing.forms import MultiCheckboxField
from outreach.visits.models import CONCERN_LEVELS, NOT_ADMITTED_REASONS, VISIT_OUTCOMES
from outreach.visits.schemas import VisitInSchema

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")  # what the team's clocks show (docs/architecture.md)
TIME_FORMAT = "%Y-%m-%dT%H:%M"
REQUIRED = _l("Fill in this field.")


def local_input(value: datetime | None) -> datetime | None:
    """A stored UTC time as the local wall-clock time a datetime-local input shows."""
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


def from_local(value: datetime | None) -> datetime | None:
    """A datetime-local input's wall-clock time (Copenhagen) as an aware UTC time."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC) if value else None


def _with_blank(codes: dict, blank) -> list[tuple]:
    return [("", blank), *vocabulary.choices(codes)]


class _RecordForm(FlaskForm):
    version = HiddenField()
    # Where each of the API schema's field names shows up in the form.
    schema_fields: dict[str, str] = {}
    schema = None

    def load(self, data: dict) -> dict | None:
        """The body loaded by the API's schema, as a PUT would be (ids as UUIDs, times
        aware); None when the schema refuses it, its messages on the fields they concern."""
        try:
            return self.schema().load(_as_json(data))
        except ValidationError as error:
            self.add_errors(error.messages)
            return None

    def add_errors(self, messages: dict) -> None:
        """Messages from the schema or a service ({field: [message]}) on the form's fields."""
        for key, value in messages.items():
            name = self.schema_fields.get(key.split(".")[0], key)
            field = getattr(self, name, None)
            texts = translate_message(value if isinstance(value, list) else [value])
            texts = [t if isinstance(t, str) else "; ".join(map(str, t)) for t in texts]
            if field is None:
                self.form_errors.extend(texts)
            else:
                field.errors = [*field.errors, *texts]


def _as_json(data: dict) -> dict:
    """The body as JSON would bring it (times as ISO strings, ids as text): what the schema
    loads."""

    def plain(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if value is not None and not isinstance(value, str | int | float | bool):
            return str(value)
        return value

    return {key: plain(value) for key, value in data.items()}


class VisitForm(_RecordForm):
    clinic_id = SelectField(_l("Clinic"))
    started_at = DateTimeLocalField(
        _l("Started"), format=TIME_FORMAT, validators=[InputRequired(REQUIRED)]
    )
    ended_at = DateTimeLocalField(_l("Ended"), format=TIME_FORMAT, validators=[Optional()])
    outcome = SelectField(_l("Outcome"), choices=lambda: vocabulary.choices(VISIT_OUTCOMES))
    not_admitted_reason = SelectField(
        _l("Why not admitted"), choices=lambda: _with_blank(NOT_ADMITTED_REASONS, "–")
    )
    staff = MultiCheckboxField(_l("Staff on the visit"))
    persons_present = IntegerField(
        _l("Persons present"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("From 0 to 100."))],
    )
    concern_level = SelectField(
        _l("Concern"), choices=lambda: _with_blank(CONCERN_LEVELS, _l("Not assessed"))
    )
    indicators = MultiCheckboxField(_l("Indicators"))
    police_informed = BooleanField(_l("Police informed"))
    police_informed_at = DateTimeLocalField(
        _l("Police informed at"), format=TIME_FORMAT, validators=[Optional()]
    )
    police_note = TextAreaField(_l("Note on informing the police"))
    notes = TextAreaField(_l("Notes"))

    schema = VisitInSchema
    schema_fields = {"supplies": "supplies"}

    def __init__(self, *args, clinics, staff, supplies, indicators, **kwargs):
        """`clinics` and `staff`: (id, name) choices; `supplies` and `indicators`: (code,
        label) of the organisation's lists and of the codes the visit holds."""
        super().__init__(*args, **kwargs)
        self.clinic_id.choices = clinics
        self.staff.choices = staff
        self.indicators.choices = indicators
        self.supply_codes = supplies
        self.supply_errors: dict[str, list[str]] = {}
        self.supply_values: dict[str, str] = {}

    @classmethod
    def for_visit(cls, visit, version: str, **choices):
        form = cls(formdata=None, **choices)
        form.clinic_id.data = str(visit.clinic_id)
        form.started_at.data = local_input(visit.started_at)
        form.ended_at.data = local_input(visit.ended_at)
        form.outcome.data = visit.outcome
        form.not_admitted_reason.data = visit.not_admitted_reason or ""
        form.staff.data = [str(s) for s in visit.staff]
        form.persons_present.data = visit.persons_present
        form.concern_level.data = visit.concern_level or ""
        form.indicators.data = list(visit.indicators)
        form.police_informed.data = visit.police_informed
        form.police_informed_at.data = local_input(visit.police_informed_at)
        form.police_note.data = visit.police_note or ""
        form.notes.data = visit.notes or ""
        form.supply_values = {code: str(n) for code, n in visit.supplies.items()}
        form.version.data = version
        return form

    def read_supplies(self, formdata) -> dict:
        """{code: count} from the supply inputs (`supply-<code>`); empty is none. A count
        that is not a whole number from 0 is marked on its own input only."""
        supplies = {}
        for code, _label in self.supply_codes:
            text = (formdata.get(f"supply-{code}") or "").strip()
            self.supply_values[code] = text
            if not text:
                continue
            try:
                count = int(text)
            except ValueError:
                self.supply_errors[code] = [str(_l("Write a whole number, or leave empty."))]
                continue
            if count < 0:
                self.supply_errors[code] = [str(_l("A count cannot be negative."))]
                continue
            supplies[code] = count
        return supplies

    def visit_data(self, supplies: dict) -> dict:
        """The visit in the shape of the API body, for visits.services.put_visit."""
        return {
            "clinic_id": self.clinic_id.data,
            "started_at": from_local(self.started_at.data),
            "ended_at": from_local(self.ended_at.data),
            "outcome": self.outcome.data,
            "not_admitted_reason": self.not_admitted_reason.data or None,
            "staff": list(self.staff.data or []),
            "persons_present": self.persons_present.data,
            "supplies": supplies,
            "concern_level": self.concern_level.data or None,
            "indicators": list(self.indicators.data or []),
            "police_informed": bool(self.police_informed.data),
            "police_informed_at": from_local(self.police_informed_at.data),
            "police_note": (self.police_note.data or "").strip() or None,
            "notes": (self.notes.data or "").strip() or None,
        }

    def add_errors(self, messages: dict) -> None:
        supplies = messages.get("supplies")
        if isinstance(supplies, dict):  # the schema names the code: mark that input only
            for code, problem in supplies.items():
                texts = translate_message(problem if isinstance(problem, list) else [problem])
                self.supply_errors[code] = [str(t) for t in texts]
            messages = {k: v for k, v in messages.items() if k != "supplies"}
        elif supplies:
            self.form_errors.extend(str(t) for t in translate_message(supplies))
            messages = {k: v for k, v in messages.items() if k != "supplies"}
        super().add_errors(messages)


class ConversationForm(_RecordForm):
    person_id = SelectField(_l("Person"))
    channel = SelectField(_l("Channel"), choices=lambda: vocabulary.choices(CHANNELS))
    occurred_at = DateTimeLocalField(_l("When"), format=TIME_FORMAT, validators=[Optional()])
    topics = MultiCheckboxField(_l("Topics"), choices=lambda: vocabulary.choices(TOPICS))
    language = SelectField(_l("Language of the conversation"))
    interpreter_used = BooleanField(_l("Interpreter used"))
    concern_level = SelectField(
        _l("Concern"), choices=lambda: _with_blank(CONCERN_LEVELS, _l("Not assessed"))
    )
    indicators = MultiCheckboxField(_l("Indicators"))
    referral = SelectField(_l("Referral"), choices=lambda: _with_blank(REFERRALS, _l("None")))
    follow_up_needed = BooleanField(_l("Follow-up needed"))
    notes = TextAreaField(_l("Notes"))

    schema = ConversationInSchema
    schema_fields = {"visit_id": "channel"}

    def __init__(self, *args, persons, languages, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.person_id.choices = persons
        self.language.choices = [("", _l("Not given")), *languages]
        self.indicators.choices = indicators

    @classmethod
    def for_conversation(cls, conversation, version: str, **choices):
        form = cls(formdata=None, **choices)
        form.person_id.data = str(conversation.person_id)
        form.channel.data = conversation.channel
        form.occurred_at.data = (
            local_input(conversation.occurred_at) if conversation.occurred_at_given else None
        )
        form.topics.data = list(conversation.topics)
        form.language.data = conversation.language or ""
        form.interpreter_used.data = conversation.interpreter_used
        form.concern_level.data = conversation.concern_level or ""
        form.indicators.data = list(conversation.indicators)
        form.referral.data = conversation.referral or ""
        form.follow_up_needed.data = conversation.follow_up_needed
        form.notes.data = conversation.notes or ""
        form.version.data = version
        return form

    def conversation_data(self, visit_id) -> dict:
        """The conversation in the shape of the API body; the visit it was held in stays."""
        return {
            "person_id": self.person_id.data,
            "visit_id": visit_id,
            "channel": self.channel.data,
            "occurred_at": from_local(self.occurred_at.data),
            "topics": list(self.topics.data or []),
            "language": self.language.data or None,
            "interpreter_used": bool(self.interpreter_used.data),
            "concern_level": self.concern_level.data or None,
            "indicators": list(self.indicators.data or []),
            "referral": self.referral.data or None,
            "follow_up_needed": bool(self.follow_up_needed.data),
            "notes": (self.notes.data or "").strip() or None,
        }
