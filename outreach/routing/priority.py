"""How urgent a visit to a clinic is on a given day: a score from 0 to 100 and the reasons,
each with its points, so the coordinator sees why one clinic comes before another.

The rules (points add up, then the total is held between 0 and 100):

- never visited: +50;
- visited: up to +25 as the target interval fills, +30 once it is reached, and up to +20 more
  the longer it is overdue (twice the interval or more: the full +50);
- screening: a flagged lead of the clinic (linked to it, or with its phone number) last seen
  within the organisation's screening window (default 30 days): +25, with the flags and how
  long ago ("Screening: appears very young, 2 days ago.");
- else new from screening (source "screening", created in the last 30 days): +20;
- concern at the last visit: red +30, yellow +15;
- not admitted at the last 3 or more visits in a row: -25 (a run of closed doors is better
  tried again later than first).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext, lazy_ngettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outreach.vocabulary import LEAD_FLAGS, label

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
DEFAULT_TARGET_DAYS = 60
SCREENING_RECENT_DAYS = 30
NOT_ADMITTED_RUN = 3

NEVER_VISITED = 50
DUE = 30
OVERDUE_MAX = 20
NOT_DUE_MAX = 25
SCREENING = 20
SCREENING_FLAGGED = 25
CONCERN = {"red": 30, "yellow": 15}
NOT_ADMITTED_PENALTY = -25


@dataclass(frozen=True)
class PastVisit:
    started_at: datetime
    outcome: str
    concern_level: str | None


@dataclass(frozen=True)
class Screening:
    """The flags of a clinic's recent leads, and when the latest flagged one was seen."""

    flags: tuple[str, ...]
    seen: datetime


@dataclass(frozen=True)
class Reason:
    points: int
    text: str


@dataclass
class Priority:
    score: int
    reasons: list[Reason] = field(default_factory=list)
    last_visit: date | None = None

    @property
    def explanation(self) -> str:
        return "; ".join(str(r.text) for r in self.reasons)


def _local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _since_last_visit(days: int, target_days: int) -> str:
    """Two counts, so two sentences each with its own plural: "1 day", "2 days"."""
    ago = ngettext("Last visit %(num)d day ago;", "Last visit %(num)d days ago;", days)
    if days >= target_days:
        due = ngettext("due every %(num)d day.", "due every %(num)d days.", target_days)
    else:
        left = target_days - days
        due = ngettext("due again in %(num)d day.", "due again in %(num)d days.", left)
    return f"{ago} {due}"


def _screened(flags: Sequence[str], days: int) -> str:
    shown = ", ".join(label(LEAD_FLAGS, flag) for flag in flags)
    if days <= 0:
        return gettext("Screening: %(flags)s, today.", flags=shown)
    return ngettext(
        "Screening: %(flags)s, %(num)d day ago.",
        "Screening: %(flags)s, %(num)d days ago.",
        days,
        flags=shown,
    )


def priority(
    *,
    day: date,
    source: str,
    created_at: datetime | None,
    visits: Sequence[PastVisit],
    target_days: int = DEFAULT_TARGET_DAYS,
    screening: Screening | None = None,
) -> Priority:
    """`visits`: the clinic's visits before `day`, newest first."""
    reasons: list[Reason] = []
    last = visits[0] if visits else None
    last_date = _local_date(last.started_at) if last else None
    if last is None:
        reasons.append(Reason(NEVER_VISITED, _l("Never visited.")))
    else:
        days = (day - last_date).days
        if days >= target_days:
            extra = min(OVERDUE_MAX, round(OVERDUE_MAX * (days - target_days) / target_days))
            points = DUE + extra
        else:
            points = round(NOT_DUE_MAX * max(days, 0) / target_days)
        reasons.append(Reason(points, LazyString(_since_last_visit, days, target_days)))
    if screening is not None and screening.flags:
        days = (day - _local_date(screening.seen)).days
        text = LazyString(_screened, screening.flags, days)
        reasons.append(Reason(SCREENING_FLAGGED, text))
    elif source == "screening" and created_at is not None:
        age = (day - _local_date(created_at)).days
        if 0 <= age <= SCREENING_RECENT_DAYS:
            reasons.append(
                Reason(
                    SCREENING,
                    lazy_ngettext(
                        "New from screening %(num)d day ago.",
                        "New from screening %(num)d days ago.",
                        age,
                    ),
                )
            )
    if last is not None and last.concern_level in CONCERN:
        text = (
            _l("Red concern at the last visit.")
            if last.concern_level == "red"
            else _l("Yellow concern at the last visit.")
        )
        reasons.append(Reason(CONCERN[last.concern_level], text))
    run = 0
    for visit in visits:
        if visit.outcome != "not_admitted":
            break
        run += 1
    if run >= NOT_ADMITTED_RUN:
        reasons.append(
            Reason(
                NOT_ADMITTED_PENALTY,
                _l("Not admitted at the last %(n)d visits in a row.", n=run),
            )
        )
    score = max(0, min(100, sum(r.points for r in reasons)))
    return Priority(score, reasons, last_date)
