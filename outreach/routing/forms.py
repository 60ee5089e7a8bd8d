"""WTForms for the planning pages. They check the form of what is typed; the planning rules
(a base in Denmark, a shift longer than a visit, a break inside the shift, a selection that
has clinics) are services.validate_input's, shared with the API, and come back as errors on
the fields below."""

import json
import uuid
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from outreach.i18n import FlaskForm
from outreach.inputs import PLANNED_DAY, InRange, MultiCheckboxField
from outreach.orgs.models import REGION_NAMES
from outreach.routing.queries import route_bases, today
from outreach.routing.schemas import MAX_TRIP_DAYS, TIME
from outreach.routing.services import DayInput, NightInput, PlanInput, is_town

REQUIRED = _l("Fill in this field.")
MAX_FORM_DAYS = MAX_TRIP_DAYS
EXTRA_DAYS = range(2, MAX_FORM_DAYS + 1)
TOWN_OR_ADDRESS = "place"
HHMM = Regexp(TIME, message=_l("Give a time as HH:MM."))
OTHER_PLACE = "other"


def _area(form, field):
    if not field.data:
        field.data = None
        return
    try:
        points = json.loads(field.data)
        valid = (
            isinstance(points, list)
            and 3 <= len(points) <= 200
            and all(
                isinstance(p, list)
                and len(p) == 2
                and all(isinstance(v, int | float) for v in p)
                and -90 <= p[0] <= 90
                and -180 <= p[1] <= 180
                for p in points
            )
        )
    except ValueError:
        valid = False
    if not valid:
        raise StopValidation(_l("The area drawn on the map could not be read; draw it again."))
    field.data = [[float(lat), float(lon)] for lat, lon in points]


class PlanForm(FlaskForm):
    max_days = MAX_FORM_DAYS  # a trip's days on the page (the template reads it)
    date = DateField(_l("Date"), validators=[InputRequired(REQUIRED), InRange(PLANNED_DAY)])
    regions = MultiCheckboxField(_l("Regions"), validators=[Optional()])
    area = HiddenField(_l("Area on the map"), validators=[_area])
    office = SelectField(_l("Base"))
    base_lat = FloatField(_l("Latitude of the base"), validators=[Optional(), NumberRange(-90, 90)])
    base_lon = FloatField(
        _l("Longitude of the base"), validators=[Optional(), NumberRange(-180, 180)]
    )
    shift_start = StringField(
        _l("Shift starts"), default="09:00", validators=[InputRequired(REQUIRED), HHMM]
    )
    shift_end = StringField(
        _l("Shift ends"), default="17:00", validators=[InputRequired(REQUIRED), HHMM]
    )
    lunch = BooleanField(_l("Lunch break"), default=True)
    break_start = StringField(
        _l("Break not before"), default="11:30", validators=[Optional(), HHMM]
    )
    break_end = StringField(_l("Break over by"), default="13:30", validators=[Optional(), HHMM])
    break_minutes = IntegerField(
        _l("Break minutes"), default=30, validators=[Optional(), NumberRange(5, 180)]
    )
    nurses = IntegerField(
        _l("Number of nurses"), default=1, validators=[Optional(), NumberRange(1, 20)]
    )
    staff = MultiCheckboxField(_l("Or name the nurses"), validators=[Optional()])
    service_minutes = IntegerField(
        _l("Minutes per visit"),
        default=40,
        validators=[InputRequired(REQUIRED), NumberRange(5, 480)],
    )

    day_count = IntegerField(
        _l("Days"),
        default=1,
        validators=[Optional(), NumberRange(1, MAX_FORM_DAYS)],
    )

    def __init__(self, organisation, users, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offices = route_bases(organisation)
        self.office.choices = [
            (str(i), o["name"] or f"{o['lat']:.4f}, {o['lon']:.4f}")
            for i, o in enumerate(self.offices)
        ] + [(OTHER_PLACE, _l("Another place (latitude, longitude below)"))]
        night_choices = [(TOWN_OR_ADDRESS, _l("A town or a hotel (below)"))] + [
            (str(i), o["name"] or f"{o['lat']:.4f}, {o['lon']:.4f}")
            for i, o in enumerate(self.offices)
        ]
        for n in EXTRA_DAYS:
            self[f"night_{n}_office"].choices = night_choices
        self.regions.choices = [(s, REGION_NAMES[s]) for s in organisation.region_slugs]
        self.staff.choices = [(str(u.id), u.display_name) for u in users]
        if self.date.data is None and not self.is_submitted():
            self.date.data = today() + timedelta(days=1)

    def validate_base_lat(self, field):
        if self.office.data == OTHER_PLACE and (field.data is None or self.base_lon.data is None):
            raise ValidationError(_l("Give the latitude and longitude of the base."))

    def validate_break_minutes(self, field):
        if self.lunch.data and not (self.break_start.data and self.break_end.data and field.data):
            raise ValidationError(_l("Give the break's window and minutes, or untick it."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A trip: where each night is spent (the days beyond day_count are not used).
        for n in range(2, min(self.day_count.data or 1, MAX_FORM_DAYS) + 1):
            place = self[f"night_{n}_place"]
            if self[f"night_{n}_office"].data == TOWN_OR_ADDRESS and not (place.data or "").strip():
                place.errors = [*place.errors, _l("Give a town or the hotel's address.")]
                valid = False
        return valid

    def trip_days(self) -> list[DayInput] | None:
        """The trip's days (day 1 is the date above, each next day the day after), or None
        for one day."""
        count = self.day_count.data or 1
        if count < 2:
            return None
        days = []
        for n in range(1, count + 1):
            start = self.shift_start.data if n == 1 else self[f"shift_{n}_start"].data
            end = self.shift_end.data if n == 1 else self[f"shift_{n}_end"].data
            night = self._night(n + 1) if n < count else None
            days.append(
                DayInput(
                    self.date.data + timedelta(days=n - 1),
                    start or self.shift_start.data,
                    end or self.shift_end.data,
                    night,
                )
            )
        return days

    def _night(self, n: int) -> NightInput:
        """The night before day n: an office, a Danish town, or an address to look up."""
        choice = self[f"night_{n}_office"].data
        if choice != TOWN_OR_ADDRESS:
            office = self.offices[int(choice)]
            return NightInput(name=office["name"], lat=office["lat"], lon=office["lon"])
        text = (self[f"night_{n}_place"].data or "").strip()
        if is_town(text):
            return NightInput(town=text)
        return NightInput(address=text)

    def base(self) -> tuple[str, float, float]:
        if self.office.data != OTHER_PLACE:
            office = self.offices[int(self.office.data)]
            return office["name"], office["lat"], office["lon"]
        return "", self.base_lat.data, self.base_lon.data

    def plan_input(self) -> PlanInput:
        name, lat, lon = self.base()
        staff = [uuid.UUID(i) for i in self.staff.data or []]
        return PlanInput(
            day=self.date.data,
            base_lat=lat,
            base_lon=lon,
            base_name=name,
            shift_start=self.shift_start.data,
            shift_end=self.shift_end.data,
            service_minutes=self.service_minutes.data,
            nurses=None if staff else (self.nurses.data or 1),
            staff=staff or None,
            regions=list(self.regions.data or []),
            area=self.area.data,
            break_start=self.break_start.data if self.lunch.data else None,
            break_end=self.break_end.data if self.lunch.data else None,
            break_minutes=self.break_minutes.data if self.lunch.data else None,
            days=self.trip_days(),
        )

    # Which field shows a service's error (services.validate_input's field names).
    ERROR_FIELDS = {
        "base": "base_lat",
        "shift": "shift_end",
        "break": "break_start",
        "staff": "staff",
        "region": "regions",
        "area": "area",
        "clinic_ids": "regions",
    }

    def _day_field(self, index: int, key: str):
        """The field that shows an error on a trip's day `index` (0-based)."""
        n = index + 1
        if key == "night":
            return self[f"night_{n + 1}_place"] if n + 1 <= MAX_FORM_DAYS else self.day_count
        if key == "shift":
            return self.shift_end if n == 1 else self[f"shift_{n}_end"]
        return self.date

    def show_errors(self, errors: dict) -> None:
        for index, by_field in (errors.pop("days", None) or {}).items():
            for key, messages in by_field.items():
                field = self._day_field(int(index), key)
                field.errors = [*field.errors, *messages]
        for key, messages in errors.items():
            field = getattr(self, self.ERROR_FIELDS.get(key, key), None)
            if field is None:
                self.form_errors.extend(messages)
            else:
                field.errors = [*field.errors, *messages]

    @classmethod
    def for_plan(cls, plan, organisation, users, formdata=None):
        """The form filled from a plan, to change its settings."""
        form = cls(organisation, users, formdata=formdata)
        if formdata is not None:
            return form
        form.date.data = plan.date
        form.regions.data = list(plan.regions)
        form.area.data = json.dumps(plan.area) if plan.area else ""
        match = next(
            (
                str(i)
                for i, o in enumerate(form.offices)
                if (o["lat"], o["lon"]) == (plan.base_lat, plan.base_lon)
            ),
            OTHER_PLACE,
        )
        form.office.data = match
        form.base_lat.data, form.base_lon.data = plan.base_lat, plan.base_lon
        form.shift_start.data, form.shift_end.data = plan.shift_start, plan.shift_end
        form.lunch.data = plan.has_break
        if plan.has_break:
            form.break_start.data, form.break_end.data = plan.break_start, plan.break_end
            form.break_minutes.data = plan.break_minutes
        form.nurses.data = plan.nurse_count
        form.staff.data = list(plan.staff)
        form.service_minutes.data = plan.service_minutes
        form.day_count.data = len(plan.days or ()) or 1
        for index, day in enumerate((plan.days or [])[1:MAX_FORM_DAYS], start=2):
            form[f"shift_{index}_start"].data = day["shift_start"]
            form[f"shift_{index}_end"].data = day["shift_end"]
        for index, day in enumerate((plan.days or [])[: MAX_FORM_DAYS - 1], start=2):
            night = day.get("night") or {}
            office = next(
                (
                    str(i)
                    for i, o in enumerate(form.offices)
                    if (o["lat"], o["lon"]) == (night.get("lat"), night.get("lon"))
                ),
                TOWN_OR_ADDRESS,
            )
            form[f"night_{index}_office"].data = office
            if office == TOWN_OR_ADDRESS:
                form[f"night_{index}_place"].data = night.get("name", "")
        return form


# A trip on the page: up to MAX_FORM_DAYS days, as in the API (schemas.MAX_TRIP_DAYS);
# for each day after the first, where the night before it is spent and its shift.
for _n in EXTRA_DAYS:
    setattr(
        PlanForm,
        f"night_{_n}_office",
        SelectField(_l("Night before day %(n)d", n=_n), default=TOWN_OR_ADDRESS),
    )
    setattr(
        PlanForm,
        f"night_{_n}_place",
        StringField(_l("Town or hotel address"), validators=[Optional(), Length(max=200)]),
    )
    setattr(
        PlanForm,
        f"shift_{_n}_start",
        StringField(_l("Day %(n)d: shift starts", n=_n), validators=[Optional(), HHMM]),
    )
    setattr(
        PlanForm,
        f"shift_{_n}_end",
        StringField(_l("Day %(n)d: shift ends", n=_n), validators=[Optional(), HHMM]),
    )


class SaveForm(FlaskForm):
    """One nurse per route; the route fields are added per plan (route_0, route_1, ...)."""

    confirm_violations = BooleanField(_l("Save although the routes have the problems shown"))


def save_form(plan, users, formdata=None) -> SaveForm:
    class _Form(SaveForm):
        pass

    for route in plan.routes:
        setattr(
            _Form,
            f"route_{route.position}",
            SelectField(
                _l("Day %(day)d: nurse for route %(n)d", day=route.day + 1, n=route.position + 1)
                if plan.is_trip
                else _l("Nurse for route %(n)d", n=route.position + 1),
                default=str(route.nurse_id) if route.nurse_id else "",
            ),
        )
    form = _Form(formdata=formdata)
    choices = [("", _l("Choose a nurse"))] + [(str(u.id), u.display_name) for u in users]
    for route in plan.routes:
        form[f"route_{route.position}"].choices = choices
    return form


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField(_l("Find a clinic to add"), validators=[Optional()])
