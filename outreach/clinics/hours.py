"""Opening hours: {"mon": [["10:00", "22:00"], ...], ...} in local time.

A weekday that is missing or has an empty list is closed; `None` for the whole value means
the hours are not known. An interval ends after it starts on the same day ("24:00" allowed);
an evening that runs past midnight is two intervals, one on each day (DESIGN.md §4). People
type such an evening as one, "22:00-02:00" on a Monday: the edit form and the CSV text accept
that and store it as Monday 22:00-24:00 and Tuesday 00:00-02:00 (spill_overnight), and the
form shows it as typed again (week_texts).
"""

import re

from flask_babel import lazy_gettext as _l

from outreach.clinics.models import WEEKDAYS

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_INTERVALS_PER_DAY = 4
CLOSED_WORDS = {"closed", "lukket", "-"}

# For the text form used in CSV files and the edit form: "mon-fri 10:00-22:00; sat 12:00-18:00"
_DAY_ALIASES = {d: d for d in WEEKDAYS} | {
    "man": "mon",
    "tir": "tue",
    "ons": "wed",
    "tor": "thu",
    "fre": "fri",
    "lør": "sat",
    "lor": "sat",
    "søn": "sun",
    "son": "sun",
}


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def opening_hours_errors(value) -> list[str]:
    """Messages saying what is wrong; empty when the value is valid."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [str(_l("Opening hours must be an object with weekdays as keys."))]
    errors = []
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            errors.append(
                str(_l("Unknown weekday %(day)r; use mon, tue, wed, thu, fri, sat, sun.", day=day))
            )
            continue
        errors.extend(f"{day}: {message}" for message in day_errors(intervals))
    return errors


def day_errors(intervals) -> list[str]:
    """What is wrong with one weekday's intervals; the weekday is left to the caller to name."""
    if not isinstance(intervals, list) or len(intervals) > MAX_INTERVALS_PER_DAY:
        return [str(_l("Give at most %(n)d [from, to] intervals.", n=MAX_INTERVALS_PER_DAY))]
    errors = []
    previous_end = -1
    for interval in sorted(intervals, key=lambda i: str(i[0]) if isinstance(i, list) and i else ""):
        if (
            not isinstance(interval, list)
            or len(interval) != 2
            or not all(isinstance(t, str) and _TIME.match(t) for t in interval)
        ):
            errors.append(str(_l('%(value)s is not a ["HH:MM", "HH:MM"] pair.', value=interval)))
            continue
        start, end = minutes(interval[0]), minutes(interval[1])
        if end <= start:
            errors.append(
                str(
                    _l(
                        "%(start)s-%(end)s ends before it starts.",
                        start=interval[0],
                        end=interval[1],
                    )
                )
            )
        elif start < previous_end:
            errors.append(str(_l("The intervals overlap.")))
        previous_end = max(previous_end, end)
    return errors


def normalise(value: dict | None) -> dict | None:
    """Sorted intervals and every weekday present, so equal hours compare equal."""
    if value is None:
        return None
    return {day: sorted([list(i) for i in value.get(day, [])]) for day in WEEKDAYS}


def is_overnight(interval) -> bool:
    """True for an interval typed as running past midnight, such as 22:00-02:00."""
    start, end = interval
    return end != "24:00" and minutes(end) < minutes(start)


def split_day(intervals) -> tuple[list, list]:
    """One weekday's intervals as typed → (that day's, the next day's after midnight)."""
    same_day, next_day = [], []
    for interval in intervals or []:
        if is_overnight(interval):
            same_day.append([interval[0], "24:00"])
            if interval[1] != "00:00":
                next_day.append(["00:00", interval[1]])
        else:
            same_day.append(list(interval))
    return same_day, next_day


def spill_overnight(value: dict) -> dict:
    """The week with every interval past midnight split at midnight, the part after it on the
    next weekday (Sunday's goes to Monday): the stored and API format."""
    out: dict[str, list] = {day: [] for day in value}
    for i, day in enumerate(WEEKDAYS):
        if day not in value:
            continue
        same_day, next_day = split_day(value[day])
        out[day] = out.get(day, []) + same_day
        if next_day:
            following = WEEKDAYS[(i + 1) % len(WEEKDAYS)]
            out[following] = out.get(following, []) + next_day
    return {day: sorted(intervals) for day, intervals in out.items()}


def week_texts(value: dict | None) -> dict[str, str]:
    """Each weekday's hours as the edit form shows them: an evening up to 24:00 followed by
    the next morning from 00:00 is shown as one interval past midnight, "22:00-02:00"."""
    if value is None:
        return {day: "" for day in WEEKDAYS}
    value = normalise(value)
    shown = {day: [list(i) for i in value[day]] for day in WEEKDAYS}
    for i, day in enumerate(WEEKDAYS):
        following = WEEKDAYS[(i + 1) % len(WEEKDAYS)]
        evening = next((iv for iv in shown[day] if iv[1] == "24:00" and iv[0] != "00:00"), None)
        morning = next(
            (iv for iv in shown[following] if iv[0] == "00:00" and iv[1] != "24:00"), None
        )
        if evening and morning and minutes(morning[1]) < minutes(evening[0]):
            evening[1] = morning[1]
            shown[following].remove(morning)
    return {day: day_to_text(shown[day]) for day in WEEKDAYS}


class HoursSyntaxError(ValueError):
    pass


def parse_text(text: str) -> dict | None:
    """Parse "mon-fri 10:00-22:00; sat 12:00-16:00,18:00-22:00; sun closed" (Danish day
    abbreviations too). Empty text means unknown hours (None); days not named are closed."""
    text = (text or "").strip().lower()
    if not text:
        return None
    hours: dict[str, list] = {day: [] for day in WEEKDAYS}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days_text, _, times_text = part.partition(" ")
        days = _expand_days(days_text)
        intervals = _parse_intervals(times_text, part)
        if intervals is None:
            raise HoursSyntaxError(str(_l("%(part)r: give times or 'closed'.", part=part)))
        for day in days:
            hours[day] = hours[day] + intervals
    return spill_overnight(hours)


def parse_day(text: str | None, closed_words: tuple[str, ...] = ()) -> list[list[str]]:
    """One weekday's hours as typed in the edit form: "10:00-14:00, 16:00-22:00"; empty text
    or "closed" (or one of `closed_words`, e.g. the word in the user's language) is closed."""
    text = (text or "").strip().lower()
    if not text or text in {w.strip().lower() for w in closed_words}:
        return []
    return _parse_intervals(text, text) or []


def _parse_intervals(times_text: str, part: str) -> list[list[str]] | None:
    """Intervals from text like "10:00-14:00, 16-22"; [] for "closed", None for nothing."""
    times_text = times_text.strip().replace("\u2013", "-").replace("\u2014", "-")
    if times_text in CLOSED_WORDS:
        return []
    intervals = []
    for chunk in filter(None, (c.strip() for c in times_text.split(","))):
        start, sep, end = chunk.partition("-")
        start, end = _pad(start.strip()), _pad(end.strip())
        if not sep or not _TIME.match(start) or not _TIME.match(end):
            raise HoursSyntaxError(str(_l("%(part)r: write times as 10:00-22:00.", part=part)))
        intervals.append([start, end])
    return intervals or None


def _pad(t: str) -> str:
    """Times as people type them: "9" → "09:00", "9:30" and "9.30" (Danish) → "09:30"."""
    match = re.match(r"^(\d{1,2})(?:[:.](\d\d))?$", t)
    if not match:
        return t
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"


def _expand_days(days_text: str) -> list[str]:
    if days_text in {"daily", "alle", "dagligt"}:
        return list(WEEKDAYS)
    first, sep, last = days_text.partition("-")
    try:
        first_day = _DAY_ALIASES[first]
        if not sep:
            return [first_day]
        last_day = _DAY_ALIASES[last]
    except KeyError:
        raise HoursSyntaxError(
            str(_l("%(days)r is not a weekday or a range like mon-fri.", days=days_text))
        ) from None
    i, j = WEEKDAYS.index(first_day), WEEKDAYS.index(last_day)
    if j < i:
        raise HoursSyntaxError(str(_l("%(days)r: the range runs backwards.", days=days_text)))
    return list(WEEKDAYS[i : j + 1])


def to_text(value: dict | None) -> str:
    """The inverse of parse_text, grouping consecutive days with the same hours."""
    if value is None:
        return ""
    value = normalise(value)
    parts, i = [], 0
    while i < len(WEEKDAYS):
        j = i
        while j + 1 < len(WEEKDAYS) and value[WEEKDAYS[j + 1]] == value[WEEKDAYS[i]]:
            j += 1
        days = WEEKDAYS[i] if i == j else f"{WEEKDAYS[i]}-{WEEKDAYS[j]}"
        intervals = value[WEEKDAYS[i]]
        times = ",".join(f"{a}-{b}" for a, b in intervals) if intervals else "closed"
        parts.append(f"{days} {times}")
        i = j + 1
    return "; ".join(parts)


def day_to_text(intervals: list | None) -> str:
    """One weekday's intervals as the edit form shows them; closed is the empty string."""
    return ", ".join(f"{a}-{b}" for a, b in sorted(intervals or []))
