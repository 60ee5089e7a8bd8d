"""The ready-to-paste paragraph in the words of the annual report, in Danish and English.

"In 2019 the mobile health service made 467 visits to 257 different clinics in Nordjylland,
Midtjylland and Sjælland. It was let in at just under half of the visits (48.18%), and held
conversations with 312 persons, 165 of whom it had not talked to before."

Every sentence is an English msgid translated through the catalogues; `paragraph` renders it
under a forced locale, so the Danish paragraph is Danish whatever the page's language.
"""

from babel.lists import format_list
from babel.numbers import format_percent
from flask_babel import force_locale, format_decimal, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from outreach.orgs.models import REGION_NAMES
from outreach.reports.figures import sorted_regions

# (fraction, exactly, just under, just over, about): whole phrases, so that translators can
# decline them as their language needs ("knap halvdelen", "omkring en tredjedel").
SHARES = [
    (1 / 10, _l("a tenth"), _l("just under a tenth"), _l("just over a tenth"), _l("about a tenth")),
    (1 / 5, _l("a fifth"), _l("just under a fifth"), _l("just over a fifth"), _l("about a fifth")),
    (
        1 / 4,
        _l("a quarter"),
        _l("just under a quarter"),
        _l("just over a quarter"),
        _l("about a quarter"),
    ),
    (1 / 3, _l("a third"), _l("just under a third"), _l("just over a third"), _l("about a third")),
    (
        2 / 5,
        _l("two fifths"),
        _l("just under two fifths"),
        _l("just over two fifths"),
        _l("about two fifths"),
    ),
    (1 / 2, _l("half"), _l("just under half"), _l("just over half"), _l("about half")),
    (
        3 / 5,
        _l("three fifths"),
        _l("just under three fifths"),
        _l("just over three fifths"),
        _l("about three fifths"),
    ),
    (
        2 / 3,
        _l("two thirds"),
        _l("just under two thirds"),
        _l("just over two thirds"),
        _l("about two thirds"),
    ),
    (
        3 / 4,
        _l("three quarters"),
        _l("just under three quarters"),
        _l("just over three quarters"),
        _l("about three quarters"),
    ),
    (
        4 / 5,
        _l("four fifths"),
        _l("just under four fifths"),
        _l("just over four fifths"),
        _l("about four fifths"),
    ),
    (
        9 / 10,
        _l("nine tenths"),
        _l("just under nine tenths"),
        _l("just over nine tenths"),
        _l("about nine tenths"),
    ),
]
EXACT = 0.005  # closer than half a percentage point: "half"
NEAR = 0.03  # within three points: "just under half" / "just over half"


def share_in_words(rate: float) -> str:
    """0.4818 -> "just under half" (in the current language); rate in (0, 1]."""
    if rate >= 1:
        return gettext("all")
    if rate < 0.05:
        return gettext("very few")
    if rate > 0.95:
        return gettext("nearly all")
    fraction, exactly, under, over, about = min(SHARES, key=lambda s: abs(rate - s[0]))
    difference = rate - fraction
    if abs(difference) < EXACT:
        return str(exactly)
    if -NEAR <= difference < 0:
        return str(under)
    if 0 < difference <= NEAR:
        return str(over)
    return str(about)


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "da"


def _percent(rate: float) -> str:
    return format_percent(rate, locale=str(get_locale()), decimal_quantization=False)


def _region_list(slugs: list[str]) -> str:
    names = [REGION_NAMES[slug].removeprefix("Region ") for slug in sorted_regions(slugs)]
    # British English lists ("A, B and C"), as the annual report writes them.
    return format_list(names, locale="en_GB" if _language() == "en" else str(get_locale()))


def _visits_sentence(report: dict, regions: list[str]) -> str:
    year = str(report["year"])
    if not report["visits"]:
        return gettext("In %(year)s the mobile health service made no visits.", year=year)
    # Literal ngettext calls, so that pybabel extracts them.
    n = report["visits"]
    visits = ngettext("%(count)s visit", "%(count)s visits", n, count=format_decimal(n))
    n = report["clinics_visited"]
    clinics = ngettext(
        "%(count)s clinic", "%(count)s different clinics", n, count=format_decimal(n)
    )
    if regions:
        return gettext(
            "In %(year)s the mobile health service made %(visits)s to %(clinics)s in %(regions)s.",
            year=year,
            visits=visits,
            clinics=clinics,
            regions=_region_list(regions),
        )
    return gettext(
        "In %(year)s the mobile health service made %(visits)s to %(clinics)s.",
        year=year,
        visits=visits,
        clinics=clinics,
    )


def _conversations_sentence(report: dict) -> str:
    visits, admitted = report["visits"], report["admitted_visits"]
    talked = report["persons_talked_to"]
    persons = ngettext(
        "%(count)s person", "%(count)s persons", talked, count=format_decimal(talked)
    )
    first_time = format_decimal(report["first_time_persons"])
    if not visits:
        if not talked:
            return gettext("It held no conversations.")
        return gettext(
            "It held conversations with %(persons)s, %(first_time)s of whom it had not talked "
            "to before.",
            persons=persons,
            first_time=first_time,
        )
    if not admitted:
        if not talked:
            return gettext("It was not let in at any of the visits, and held no conversations.")
        return gettext(
            "It was not let in at any of the visits, and held conversations with %(persons)s, "
            "%(first_time)s of whom it had not talked to before.",
            persons=persons,
            first_time=first_time,
        )
    rate = admitted / visits
    if not talked:
        return gettext(
            "It was let in at %(share)s of the visits (%(percent)s), and held no conversations.",
            share=share_in_words(rate),
            percent=_percent(report["admission_rate"]),
        )
    return gettext(
        "It was let in at %(share)s of the visits (%(percent)s), and held conversations with "
        "%(persons)s, %(first_time)s of whom it had not talked to before.",
        share=share_in_words(rate),
        percent=_percent(report["admission_rate"]),
        persons=persons,
        first_time=first_time,
    )


def _screening_sentences(report: dict) -> list[str]:
    """What the screening section adds, when there is something to say."""
    screening = report.get("screening") or {}
    sentences = []
    leads, clinics = screening.get("leads_recorded", 0), screening.get("new_clinics", 0)
    if leads or clinics:
        sentences.append(
            gettext(
                "Screening of sex-ad websites recorded %(leads)s and found %(clinics)s, "
                "%(visited)s of which the team has visited.",
                leads=ngettext("%(count)s ad", "%(count)s ads", leads, count=format_decimal(leads)),
                clinics=ngettext(
                    "%(count)s new clinic",
                    "%(count)s new clinics",
                    clinics,
                    count=format_decimal(clinics),
                ),
                visited=format_decimal(screening.get("new_clinics_visited", 0)),
            )
        )
    numbers = screening.get("numbers_texted", 0)
    if numbers:
        replies = screening.get("replies", 0)
        sentences.append(
            gettext(
                "The team texted %(numbers)s from escort ads and got %(replies)s; %(opt_outs)s "
                "asked not to be contacted, and %(conversations)s began by SMS.",
                numbers=ngettext(
                    "%(count)s number", "%(count)s numbers", numbers, count=format_decimal(numbers)
                ),
                replies=ngettext(
                    "%(count)s reply", "%(count)s replies", replies, count=format_decimal(replies)
                ),
                opt_outs=format_decimal(screening.get("opt_outs", 0)),
                conversations=ngettext(
                    "%(count)s conversation",
                    "%(count)s conversations",
                    screening.get("sms_conversations", 0),
                    count=format_decimal(screening.get("sms_conversations", 0)),
                ),
            )
        )
    return sentences


def paragraph(report: dict, language: str) -> str:
    """The annual report's summary of a year's figures, in `language` ("da" or "en").

    The regions named are those of the organisation with visits in the year (or the region
    filter's), as listed in report["by_region"].
    """
    if report["region"] is not None:
        regions = [report["region"]] if report["visits"] else []
    else:
        regions = [entry["region"] for entry in report["by_region"] if entry["visits"]]
    with force_locale(language):
        sentences = [_visits_sentence(report, regions), _conversations_sentence(report)]
        return " ".join(sentences + _screening_sentences(report))
