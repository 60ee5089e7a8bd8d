"""The report figures of DESIGN.md §3, computed by outreach.reports.figures (the breakdowns by
outreach.reports.queries), on a dataset whose every figure is known (tests/reports/dataset.py)."""

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from outreach.db import db
from outreach.errors import FieldErrors
from outreach.persons.services import unmerge_persons
from outreach.reports import queries, wording
from outreach.reports.figures import Period, annual_report, monthly_report
from tests.reports.dataset import ANNUAL_2019, build, local


@pytest.fixture
def data(factory, org, other_org, coordinator):
    return build(factory, org, other_org, coordinator)


def by_region(report):
    return {row["region"]: row for row in report["by_region"]}


def without_order(report):
    return {**report, "by_region": sorted(report["by_region"], key=lambda r: r["region"])}


def test_the_annual_report_has_every_figure_of_the_worked_example(data):
    report = annual_report(data.org, 2019)
    assert without_order(report) == without_order(ANNUAL_2019)


def test_periods_begin_at_local_midnight_in_utc():
    assert Period(2020).start == datetime(2019, 12, 31, 23, 0, tzinfo=UTC)
    assert Period(2019, 7).start == datetime(2019, 6, 30, 22, 0, tzinfo=UTC)  # summer time
    assert Period(2019, 12).end == Period(2020).start


def test_a_visit_at_half_past_eleven_on_new_years_eve_counts_in_that_year(data):
    december = monthly_report(data.org, 2019, 12)
    assert december["visits"] == 1
    assert december["first_time_persons"] == 1  # Hana, met that night


def test_a_visit_at_half_past_midnight_on_new_years_day_counts_in_the_new_year(data):
    # 2020-01-01 00:30 in Copenhagen is still 2019-12-31 in UTC.
    assert data.visits["v7"].started_at.astimezone(UTC).date().isoformat() == "2019-12-31"
    report = annual_report(data.org, 2020)
    assert (report["visits"], report["conversations"], report["persons_talked_to"]) == (1, 2, 2)
    assert report["by_month"][0]["visits"] == 1


def test_a_person_met_the_year_before_is_not_a_first_time_contact(data):
    report = annual_report(data.org, 2018)
    assert report["first_time_persons"] == 2  # Anna and Edda, first met in 2018
    # Hana was first met on New Year's Eve 2019, so in 2020 she is not new; Ida is.
    assert annual_report(data.org, 2020)["first_time_persons"] == 1


def test_a_person_met_in_two_regions_counts_in_both_but_is_new_only_in_the_first(data):
    regions = by_region(annual_report(data.org, 2019))
    # Bea: first met in Nordjylland in May, again in Midtjylland in July.
    assert regions["nordjylland"]["persons_talked_to"] == 4
    assert regions["midtjylland"]["persons_talked_to"] == 4
    assert regions["nordjylland"]["first_time_persons"] == 3
    assert regions["midtjylland"]["first_time_persons"] == 0


def test_persons_per_region_may_exceed_the_total_but_first_time_persons_add_up(data):
    report = annual_report(data.org, 2019)
    regions = report["by_region"]
    assert sum(r["persons_talked_to"] for r in regions) > report["persons_talked_to"]
    # First-time persons in regions + those first met outside a regional visit (Cleo by
    # phone, Jade at a clinic without a region) = the total.
    assert sum(r["first_time_persons"] for r in regions) + 2 == report["first_time_persons"]


def test_a_phone_conversation_counts_in_the_totals_and_in_no_region(data):
    april = monthly_report(data.org, 2019, 4)
    assert april["conversations"] == 1
    assert april["persons_talked_to"] == 1
    assert april["first_time_persons"] == 1
    assert all(row["conversations"] == 0 for row in april["by_region"])


def test_merged_persons_count_once_and_first_time_follows_the_merge(
    factory, org, other_org, coordinator
):
    unmerged = build(factory, org, other_org, coordinator, merge=False)
    before = annual_report(org, 2019)
    # Unmerged: Dana (first met 2019) and Edda (2018) are two persons; so are Fia and Gina,
    # both new in 2019, Gina in Midtjylland.
    assert (before["persons_talked_to"], before["first_time_persons"]) == (9, 7)
    assert by_region(before)["midtjylland"]["first_time_persons"] == 2
    from outreach.persons.services import merge_persons

    merge_persons(coordinator, unmerged.persons["D"].id, unmerged.persons["E"].id)
    merge_persons(coordinator, unmerged.persons["G"].id, unmerged.persons["F"].id)
    after = annual_report(org, 2019)
    assert (after["persons_talked_to"], after["first_time_persons"]) == (7, 5)
    assert by_region(after)["midtjylland"]["first_time_persons"] == 0


def test_undoing_a_merge_restores_the_figures(data, coordinator):
    from outreach.persons.models import PersonMerge
    from outreach.tenancy import tenant_select

    merge = db.session.scalar(
        tenant_select(PersonMerge, data.org.id).where(PersonMerge.source_id == data.persons["G"].id)
    )
    unmerge_persons(coordinator, merge.id)
    report = annual_report(data.org, 2019)
    assert (report["persons_talked_to"], report["first_time_persons"]) == (8, 6)


def test_another_organisations_data_is_never_counted(data):
    other = annual_report(data.other_org, 2019)
    assert (other["visits"], other["conversations"], other["persons_talked_to"]) == (1, 2, 2)
    assert annual_report(data.org, 2019)["visits"] == 6
    extra = queries.breakdowns(data.org.id, Period(2019))
    assert {row["item"]: row["count"] for row in extra["supplies"]}["condoms"] == 70


def test_a_year_without_visits_has_no_admission_rate_and_zeros_everywhere(data):
    report = annual_report(data.org, 2017)
    assert report["admission_rate"] is None
    assert report["visits"] == report["conversations"] == report["first_time_persons"] == 0
    assert [r["region"] for r in report["by_region"]] == [
        "nordjylland",
        "midtjylland",
        "sjaelland",
    ]
    assert all(set(r.values()) == {r["region"], 0} for r in report["by_region"])
    assert [m["month"] for m in report["by_month"]] == list(range(1, 13))
    assert all(m["visits"] == m["conversations"] == 0 for m in report["by_month"])


def test_a_region_filter_makes_the_top_level_figures_and_months_that_regions(data):
    report = annual_report(data.org, 2019, "midtjylland")
    assert report["region"] == "midtjylland"
    figures = {k: report[k] for k in ANNUAL_2019["by_region"][1] if k != "region"}
    assert figures == {k: v for k, v in ANNUAL_2019["by_region"][1].items() if k != "region"}
    assert report["admission_rate"] == 0.6667
    months = {m["month"]: (m["visits"], m["conversations"]) for m in report["by_month"]}
    assert months[1] == (1, 2) and months[3] == (1, 0) and months[7] == (1, 2)
    assert months[5] == (0, 0)  # Nordjylland's May visit is not Midtjylland's
    assert len(report["by_region"]) == 3


def test_a_visit_just_after_midnight_on_the_first_of_july_is_in_july(data):
    assert monthly_report(data.org, 2019, 6)["visits"] == 0
    july = monthly_report(data.org, 2019, 7)
    assert (july["visits"], july["conversations"], july["persons_talked_to"]) == (1, 2, 2)
    assert "by_month" not in july


def test_a_region_outside_the_organisation_is_refused(data):
    with pytest.raises(FieldErrors) as error:
        annual_report(data.org, 2019, "syddanmark")
    assert "region" in error.value.errors


def test_breakdowns_count_canonical_persons_by_nationality_and_gender(data):
    extra = queries.breakdowns(data.org.id, Period(2019))
    nationalities = {row["nationality"]: row["persons"] for row in extra["nationalities"]}
    # Gina (BG) was merged into Fia (RO): the canonical record's nationality counts.
    assert nationalities == {"TH": 3, "RO": 2, "NG": 1, None: 1}
    genders = {row["gender"]: row["persons"] for row in extra["genders"]}
    assert genders == {"woman": 6, "trans_woman": 1}


def test_breakdowns_sum_supplies_and_count_concern_and_police(data):
    extra = queries.breakdowns(data.org.id, Period(2019))
    assert extra["supplies"] == [
        {"item": "condoms", "count": 70},
        {"item": "lubricant", "count": 5},
        {"item": "leaflet_th", "count": 2},
    ]
    concern = {row["level"]: (row["visits"], row["conversations"]) for row in extra["concern"]}
    assert concern == {"green": (0, 0), "yellow": (1, 1), "red": (1, 1), None: (4, 8)}
    assert extra["police_informed_visits"] == 1


def test_breakdowns_follow_the_region_filter(data):
    extra = queries.breakdowns(data.org.id, Period(2019), "midtjylland")
    assert extra["supplies"] == [
        {"item": "condoms", "count": 50},
        {"item": "leaflet_th", "count": 2},
    ]
    assert {row["nationality"]: row["persons"] for row in extra["nationalities"]} == {
        "TH": 2,
        "RO": 2,
    }
    assert extra["police_informed_visits"] == 1


def test_the_first_data_year_is_the_year_of_the_first_visit_or_conversation(data):
    assert queries.first_data_year(data.org.id) == 2018


@pytest.mark.parametrize(
    ("rate", "words"),
    [
        (0.4818, "just under half"),
        (0.5, "half"),
        (0.52, "just over half"),
        (0.30, "about a third"),
        (0.3333, "a third"),
        (0.74, "just under three quarters"),
        (0.02, "very few"),
        (0.97, "nearly all"),
        (1.0, "all"),
    ],
)
def test_the_admission_share_is_put_in_words(app, rate, words):
    with app.test_request_context(), force_locale("en"):
        assert wording.share_in_words(rate) == words


def test_the_paragraph_reads_like_the_annual_report(app):
    report = {
        **ANNUAL_2019,
        "visits": 467,
        "clinics_visited": 257,
        "admitted_visits": 225,
        "admission_rate": 0.4818,
        "persons_talked_to": 312,
        "first_time_persons": 165,
        "by_region": [{**row, "visits": 1} for row in ANNUAL_2019["by_region"]],
    }
    with app.test_request_context():
        text = wording.paragraph(report, "en")
    assert text == (
        "In 2019 the mobile health service made 467 visits to 257 different clinics in "
        "Nordjylland, Midtjylland and Sjælland. It was let in at just under half of the "
        "visits (48.18%), and held conversations with 312 persons, 165 of whom it had not "
        "talked to before."
    )


def test_the_danish_paragraph_is_danish_whatever_the_page_language(app, data):
    report = annual_report(data.org, 2019)
    with app.test_request_context(), force_locale("da"):
        danish_on_danish_page = wording.paragraph(report, "da")
    with app.test_request_context(), force_locale("en"):
        danish_on_english_page = wording.paragraph(report, "da")
        english = wording.paragraph(report, "en")
    assert danish_on_english_page == danish_on_danish_page
    assert danish_on_english_page.startswith("I 2019 ")  # from the compiled catalogue
    assert "66,67" in danish_on_danish_page  # Danish number format
    assert english.startswith("In 2019 ") and "66.67%" in english


def test_the_paragraph_handles_a_year_without_visits(app, data):
    report = annual_report(data.org, 2017)
    with app.test_request_context():
        text = wording.paragraph(report, "en")
    assert text == ("In 2017 the mobile health service made no visits. It held no conversations.")


def test_the_paragraph_names_only_the_filtered_region(app, data):
    report = annual_report(data.org, 2019, "nordjylland")
    with app.test_request_context():
        text = wording.paragraph(report, "en")
    assert text == (
        "In 2019 the mobile health service made 2 visits to 1 clinic in Nordjylland. It was "
        "let in at all of the visits (100%), and held conversations with 4 persons, 3 of whom "
        "it had not talked to before."
    )


def test_computing_the_report_is_independent_of_when_the_data_was_stored(data, factory):
    # A conversation whose time was given differs from its visit's: it counts at its own time.
    factory.conversation(data.persons["I"], data.visits["v1"], local(2019, 2, 3, 10))
    report = annual_report(data.org, 2019)
    assert report["by_month"][1]["conversations"] == 1  # February
    assert report["first_time_persons"] == 6  # Ida's first-ever conversation is now in 2019
