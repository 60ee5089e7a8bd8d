"""The words a coordinator reads for the planner's codes: why a clinic is left out of a plan,
and what is wrong with a route."""

from datetime import date

from flask_babel import lazy_gettext as _l

from outreach.routing import planner
from outreach.vocabulary import WEEKDAYS, label

REASON_TEXT = {
    planner.CLINIC_CLOSED: _l("The clinic is marked as closed in the registry."),
    planner.NO_COORDINATES: _l("No coordinates: add an address or a map position."),
    planner.HOURS_UNKNOWN: _l(
        "Opening hours unknown: every stop must be inside the opening hours, so the planner "
        "cannot place it. Add the opening hours."
    ),
    planner.CLOSED_THAT_DAY: _l("Closed on that weekday."),
    planner.CANNOT_FIT: _l(
        "Cannot fit in the shift: even as the only stop, the drive from the base and back "
        "and the visit do not fit the shift and the opening hours."
    ),
    planner.CLOSED_DURING_SHIFT: _l(
        "Closed during the shift: it is open that day, but no visit can start and end "
        "within its opening hours while the shift runs."
    ),
    planner.LOWER_PRIORITY: _l(
        "Lower priority: it fits into a route only in place of a clinic of the same or "
        "higher priority."
    ),
    planner.TOO_FAR: _l(
        "Too far to fit with the others: it fits as the only stop, but no route has room "
        "for it, not even in place of one of its stops."
    ),
    planner.NOT_CONSIDERED: _l(
        "Not considered: the list holds more clinics than the planner takes at once, and "
        "this one ranks below those it took."
    ),
    planner.REMOVED: _l("Taken off the route by the coordinator."),
}
VIOLATION_TEXT = {
    "opening_hours": _l("Outside the opening hours: the visit ends %(minutes)d min after closing."),
    "closed": _l("The clinic is closed at that time of the day."),
    "shift_end": _l("Back at the base %(minutes)d min after the shift ends."),
    "break": _l("The break starts %(minutes)d min later than its window allows."),
}


TRIP_REASON_TEXT = {
    planner.CLOSED_THAT_DAY: _l("Closed on every day of the trip."),
    planner.CLOSED_DURING_SHIFT: _l(
        "Closed during the shifts: on no day of the trip can a visit start and end within "
        "its opening hours while the shift runs."
    ),
    planner.CANNOT_FIT: _l(
        "Cannot fit in any day of the trip: even as the only stop of a day, the drive from "
        "that day's base, the visit and the drive to its night's base do not fit the shift "
        "and the opening hours."
    ),
}


def reason_text(reason: str, day: date | None = None, *, trip: bool = False) -> str:
    """The reason in words; `trip`: it holds for every day of a trip of several days."""
    if trip and reason in TRIP_REASON_TEXT:
        return str(TRIP_REASON_TEXT[reason])
    if reason == planner.CLOSED_THAT_DAY and day is not None:
        weekday = planner.DayClock(day).weekday
        return str(_l("Closed on %(weekday)s.", weekday=label(WEEKDAYS, weekday)))
    return str(REASON_TEXT.get(reason, reason))


def violation_text(violation: dict) -> str:
    kind, late = violation.get("kind"), violation.get("minutes") or 0
    if kind == "opening_hours" and not late:
        kind = "closed"
    text = VIOLATION_TEXT.get(kind)
    return str(text % {"minutes": late}) if text else str(kind)
