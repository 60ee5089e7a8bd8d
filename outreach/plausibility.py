"""What makes a typed number or time impossible (refused) or unusual (asked about): the hard
limits every organisation shares, the default per-visit limits an organisation can change,
and the checks both the API schemas and the forms use (docs/plausibility.md)."""

from datetime import datetime, timedelta

from flask_babel import gettext

from outreach.db import utcnow
from outreach.i18n import N_
from outreach.inputs import Integer

# Impossible in every organisation: refused with 422 on the field, whatever the settings say.
MAX_COUNT = 10_000  # one supply item handed out on one visit
MAX_PERSONS_PRESENT = 100
# A phone's clock may run a little ahead of the server's; a time further ahead is a typing
# error (a wrong day or year), and would put the record into a period that has not happened.
FUTURE_TOLERANCE = timedelta(hours=1)

# Unusual, per visit: above these the nurse (or the coordinator) is asked to confirm. Each
# organisation can change them on its settings page (orgs.services.set_limits).
DEFAULT_PERSONS_PRESENT_LIMIT = 15
DEFAULT_SUPPLY_LIMIT = 200
DEFAULT_SUPPLY_LIMITS = {"condoms": 200, "lubricant": 200, "sti_test": 20}
DEFAULT_TEST_LIMIT = 20  # any supply code naming a test kit: tests are counted one by one
DEFAULT_LEAFLET_LIMIT = 100

COUNT_MESSAGE = N_("Give a whole number from 0 to 10000.")
FUTURE_MESSAGE = N_("This time is in the future; give the time it happened.")
UNUSUAL_MESSAGE = N_("Unusually high: more than the organisation's usual %(limit)s per visit.")


def default_supply_limit(code: str) -> int:
    """The usual most of one supply item on one visit, until the organisation sets its own."""
    if code in DEFAULT_SUPPLY_LIMITS:
        return DEFAULT_SUPPLY_LIMITS[code]
    if code.startswith("leaflet"):
        return DEFAULT_LEAFLET_LIMIT
    if "test" in code.split("_"):
        return DEFAULT_TEST_LIMIT
    return DEFAULT_SUPPLY_LIMIT


def in_future(when: datetime | None, now: datetime | None = None) -> bool:
    return when is not None and when > (now or utcnow()) + FUTURE_TOLERANCE


def unusual(field: str, value: int | None, limit: int) -> dict | None:
    """A warning about `value` when it is above `limit`: what the API answers and the forms
    show next to `field` (a path such as "supplies.condoms")."""
    if value is None or value <= limit:
        return None
    return {"field": field, "value": value, "limit": limit, "message": UNUSUAL_MESSAGE}


def warning_answer(warning: dict) -> dict:
    """A warning as the API answers it: the message in the caller's language."""
    return {**warning, "message": gettext(warning["message"], limit=warning["limit"])}


class Count(Integer):
    """A whole number of things, with a message that says so."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": COUNT_MESSAGE})
        super().__init__(**kwargs)
