"""The persons pages: list and search, a person's record (audited), merging duplicates and
undoing a merge, for coordinators and admins only."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.persons import queries, services
from outreach.persons.models import Person, PersonMerge, PersonSearch


def page(response) -> str:
    return response.get_data(as_text=True)


def at(year, month, day, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def events(action: str, object_id=None) -> int:
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return db.session.scalar(stmt)


def reload(person: Person) -> Person:
    db.session.expire_all()
    return db.session.get(Person, person.id)


def list_rows(html: str) -> list[str]:
    """The aliases in the list, in order (merged ones included when shown)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<td class="alias"><a href="/persons/[^"]+">([^<]+)</a>', body)


@pytest.fixture
def two_records(coordinator, factory, org):
    """The same woman recorded twice: Mai first met in 2023, May recorded again in 2024."""
    mai = factory.person(org, "Mai", nationality="TH", birth_year=1994, gender="woman")
    may = factory.person(org, "May", nationality="TH", birth_year=1995, gender="woman")
    factory.conversation(mai, occurred_at=at(2023, 5, 10))
    factory.conversation(may, occurred_at=at(2024, 3, 1))
    factory.conversation(may, occurred_at=at(2024, 6, 1))
    return mai, may


def search_for(client, data: dict):
    """Search the list as a browser does: post, follow the redirect to the results page."""
    return client.form_post("/persons/", data, follow_redirects=True)


def merge_on_page(client, keep: Person, other: Person, **extra):
    return client.form_post(f"/persons/{keep.id}/merge/{other.id}", {"keep": str(keep.id), **extra})


# --- who may see them --------------------------------------------------------------------------


def test_nurse_gets_403_on_every_person_page(nurse_client, coordinator, two_records):
    mai, may = two_records
    merge = services.merge_persons(coordinator, may.id, mai.id)
    for url in (
        "/persons/",
        f"/persons/{mai.id}",
        f"/persons/{mai.id}/same-as",
        f"/persons/{mai.id}/merge/{may.id}",
        f"/persons/merges/{merge.id}/undo",
    ):
        assert nurse_client.get(url).status_code == 403, url
    assert nurse_client.form_post("/persons/", {"q": "Mai"}).status_code == 403
    assert merge_on_page(nurse_client, mai, may).status_code == 403
    assert nurse_client.form_post(f"/persons/merges/{merge.id}/undo", {}).status_code == 403
    assert reload(may).merged_into_id == mai.id  # nothing undone
    assert events("person.read") == 0


def test_persons_pages_need_a_login(client):
    response = client.get("/persons/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_sees_the_persons_list(admin_client, two_records):
    response = admin_client.get("/persons/")
    assert response.status_code == 200
    assert list_rows(page(response)) == ["May", "Mai"]


# One logged-in client per test: the clients share the app context, so Flask-Login's cached
# user would leak from one to the other.
def test_nav_links_to_persons_for_coordinators(coordinator_client):
    assert 'href="/persons/"' in page(coordinator_client.get("/clinics/"))


def test_nav_has_no_persons_link_for_nurses(nurse_client):
    assert 'href="/persons/"' not in page(nurse_client.get("/clinics/"))


# --- the list ----------------------------------------------------------------------------------


def test_list_shows_nationality_birth_year_gender_and_contacts(coordinator_client, two_records):
    html = page(coordinator_client.get("/persons/"))
    assert "Thailand" in html
    assert "1994" in html and "1995" in html
    assert "Woman" in html or "Kvinde" in html
    # May: first contact 1 March 2024, last 1 June 2024, 2 conversations.
    may_row = html.split(">May</a>", 1)[1].split("</tr>", 1)[0]
    assert "2024" in may_row
    assert re.search(r'<span class="wide-only">2</span>', may_row)


def test_list_puts_the_persons_talked_to_most_recently_first(
    coordinator_client,
    coordinator,
    two_records,
    factory,
    org,
):
    mai, _may = two_records
    factory.conversation(mai, occurred_at=at(2025, 1, 5))
    factory.person(org, "Never Talked")
    assert list_rows(page(coordinator_client.get("/persons/"))) == ["Mai", "May", "Never Talked"]


def test_list_hides_merged_duplicates_unless_asked(coordinator_client, coordinator, two_records):
    mai, may = two_records
    services.merge_persons(coordinator, may.id, mai.id)
    assert list_rows(page(coordinator_client.get("/persons/"))) == ["Mai"]
    html = page(coordinator_client.get("/persons/?merged=1"))
    assert list_rows(html) == ["Mai", "May"]
    assert "Mai" in html.split(">May</a>", 1)[1].split("</td>", 1)[0]  # "merged into Mai"


def test_list_first_contact_counts_merged_records(coordinator_client, coordinator, two_records):
    mai, may = two_records
    services.merge_persons(coordinator, mai.id, may.id)  # keep May, first met as Mai in 2023
    html = page(coordinator_client.get("/persons/"))
    may_row = html.split(">May</a>", 1)[1].split("</tr>", 1)[0]
    first_cell = may_row.split('class="when first">', 1)[1].split("</td>", 1)[0]
    assert "2023" in first_cell


def test_list_filters_by_nationality_and_gender(coordinator_client, coordinator, factory, org):
    factory.person(org, "Ioana", nationality="RO", gender="woman")
    factory.person(org, "Nok", nationality="TH", gender="trans_woman")
    factory.person(org, "Pim", nationality="TH", gender="woman")
    assert sorted(list_rows(page(coordinator_client.get("/persons/?nationality=TH")))) == [
        "Nok",
        "Pim",
    ]
    html = page(coordinator_client.get("/persons/?nationality=TH&gender=trans_woman"))
    assert list_rows(html) == ["Nok"]
    assert list_rows(page(coordinator_client.get("/persons/?gender=nonsense"))) != []


def test_nationality_filter_offers_only_nationalities_of_the_persons(
    coordinator_client,
    coordinator,
    factory,
    org,
):
    factory.person(org, "Ioana", nationality="RO")
    html = page(coordinator_client.get("/persons/"))
    assert '<option value="RO">' in html
    assert '<option value="TH">' not in html


def test_alias_search_finds_accent_and_spelling_variants(
    coordinator_client, coordinator, factory, org
):
    for alias in ("Jázmin", "Yasmin", "Jasmine", "Anna-Maria", "Olga"):
        factory.person(org, alias)
    response = search_for(coordinator_client, {"q": "jasmin"})
    assert response.status_code == 200
    found = list_rows(page(response))
    assert set(found) == {"Jázmin", "Yasmin", "Jasmine"}
    assert "Olga" not in found
    assert list_rows(page(search_for(coordinator_client, {"q": "maria"}))) == ["Anna-Maria"]


def test_alias_search_keeps_the_filters(coordinator_client, coordinator, factory, org):
    factory.person(org, "Yasmin", nationality="TH")
    factory.person(org, "Jasmine", nationality="RO")
    response = search_for(coordinator_client, {"q": "Jasmin", "nationality": "RO"})
    assert list_rows(page(response)) == ["Jasmine"]


def test_alias_search_is_posted_so_the_alias_never_is_in_a_url(
    coordinator_client, coordinator, factory, org
):
    factory.person(org, "Yasmin")
    html = page(coordinator_client.get("/persons/"))
    form = re.search(r'<form method="(\w+)" action="/persons/"', html)
    assert form and form.group(1) == "post"
    # A query string alias is not a search: the whole list is shown.
    factory.person(org, "Olga")
    assert set(list_rows(page(coordinator_client.get("/persons/?q=Yasmin")))) == {
        "Yasmin",
        "Olga",
    }


def test_search_answers_with_a_redirect_to_a_get_page_without_the_alias(
    coordinator_client, coordinator, factory, org
):
    factory.person(org, "Yasmin")
    factory.person(org, "Olga")
    response = coordinator_client.form_post("/persons/", {"q": "Yasmin"})
    assert response.status_code == 303  # Back and reload then repeat a GET, not the post
    location = response.headers["Location"]
    assert re.fullmatch(r"/persons/\?search=[A-Za-z0-9_-]{22}", location)
    assert "yasmin" not in location.casefold()
    for _ in range(2):  # the results page again: Back, or a reload
        again = coordinator_client.get(location)
        assert again.status_code == 200
        assert list_rows(page(again)) == ["Yasmin"]
        assert 'value="Yasmin"' in page(again)  # the form shows what was searched


def test_search_heading_and_note_show_the_true_number_of_matches(
    coordinator_client, coordinator, factory, org
):
    for n in range(57):
        factory.person(org, "Szandra", birth_year=1960 + n)
    factory.person(org, "Olga")
    html = page(search_for(coordinator_client, {"q": "Szandra"}))
    assert "<small>(57)</small>" in html
    assert "57 persons found for" in html
    assert len(list_rows(html)) == 50  # one page; the rest on the next
    next_page = re.search(r'href="(/persons/\?[^"]*page=2[^"]*)" rel="next"', html).group(1)
    assert "szandra" not in next_page.casefold()
    assert len(list_rows(page(coordinator_client.get(next_page.replace("&amp;", "&"))))) == 7


def test_a_search_opens_only_for_who_made_it_and_only_for_a_while(
    coordinator_client, coordinator, factory, org, login
):
    factory.person(org, "Szandra")
    location = coordinator_client.form_post("/persons/", {"q": "Szandra"}).headers["Location"]
    colleague = login(factory.user(org, "coordinator"))
    response = colleague.get(location)
    assert response.status_code == 404
    assert "Szandra" not in page(response)
    assert "no longer kept" in page(response)
    search = db.session.scalar(select(PersonSearch))
    search.created_at -= queries.SEARCH_KEPT + timedelta(minutes=1)
    db.session.flush()
    assert coordinator_client.get(location).status_code == 404


def test_old_searches_are_deleted_when_a_new_one_is_made(
    coordinator_client, coordinator, factory, org
):
    factory.person(org, "Yasmin")
    coordinator_client.form_post("/persons/", {"q": "Yasmin"})
    old = db.session.scalar(select(PersonSearch))
    old.created_at -= queries.SEARCH_KEPT + timedelta(minutes=1)
    db.session.flush()
    coordinator_client.form_post("/persons/", {"q": "Olga"})
    assert [s.query for s in db.session.scalars(select(PersonSearch))] == ["Olga"]


def test_search_without_an_alias_goes_back_to_the_filtered_list(coordinator_client):
    response = coordinator_client.form_post(
        "/persons/", {"q": "", "nationality": "", "gender": "woman"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/persons/?gender=woman")


def test_search_with_an_unknown_filter_value_shows_an_error(
    coordinator_client, coordinator, factory, org
):
    factory.person(org, "Yasmin", nationality="TH")
    response = coordinator_client.form_post("/persons/", {"q": "Yasmin", "nationality": "ZZ"})
    assert response.status_code == 422
    assert 'class="error"' in page(response)


def test_search_without_csrf_token_is_refused(coordinator_client, coordinator, factory, org):
    factory.person(org, "Yasmin")
    response = coordinator_client.client.post("/persons/", data={"q": "Yasmin"})
    assert response.status_code == 400


def test_list_leaves_out_other_organisations(coordinator_client, factory, other_org):
    factory.person(other_org, "Elsewhere")
    assert "Elsewhere" not in page(coordinator_client.get("/persons/"))
    assert list_rows(page(search_for(coordinator_client, {"q": "Elsewhere"}))) == []


# --- one person --------------------------------------------------------------------------------


def test_person_page_writes_exactly_one_read_event(coordinator_client, two_records):
    mai, _may = two_records
    before = events("person.read")
    response = coordinator_client.get(f"/persons/{mai.id}")
    assert response.status_code == 200
    assert events("person.read") == before + 1
    assert events("person.read", mai.id) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.read"))
    assert event.user_id == coordinator_client.user.id


def test_person_page_shows_the_record_and_conversations(
    coordinator_client, coordinator, factory, org
):
    clinic = factory.clinic(org, name="Lotus Massage", region_slug="midtjylland")
    visit = factory.visit(clinic, at(2024, 4, 2, 14))
    nok = factory.person(
        org, "Nok", nationality="TH", birth_year=1990, gender="woman", languages=["th"]
    )
    factory.conversation(
        nok,
        visit=visit,
        topics=["sti_test_offered", "health_advice"],
        concern_level="yellow",
        referral="health_care",
    )
    factory.conversation(nok, occurred_at=at(2024, 5, 1), channel="sms")
    html = page(coordinator_client.get(f"/persons/{nok.id}"))
    assert "Nok" in html and "Thailand" in html and "1990" in html
    assert "Lotus Massage" in html
    assert "Region Midtjylland" in html
    assert "concern-yellow" in html
    assert "STI test offered" in html or "STI-test tilbudt" in html
    assert html.count('<td class="conv-date">') == 2


def test_person_page_lists_records_merged_into_her_and_their_conversations(
    coordinator_client, coordinator, two_records
):
    mai, may = two_records
    services.merge_persons(coordinator, may.id, mai.id)
    html = page(coordinator_client.get(f"/persons/{mai.id}"))
    assert f'href="/persons/{may.id}"' in html
    assert html.count('<td class="conv-date">') == 3  # her one and May's two


def test_merged_record_page_says_where_it_was_merged(coordinator_client, coordinator, two_records):
    mai, may = two_records
    services.merge_persons(coordinator, may.id, mai.id)
    html = page(coordinator_client.get(f"/persons/{may.id}"))
    assert 'class="notice"' in html
    assert f'href="/persons/{mai.id}"' in html
    assert f"/persons/{may.id}/same-as" not in html  # a merged record is merged from its target


def test_another_organisations_person_is_not_found(
    coordinator_client,
    coordinator,
    factory,
    other_org,
    org,
):
    theirs = factory.person(other_org, "Theirs")
    mine = factory.person(org, "Mine")
    for url in (
        f"/persons/{theirs.id}",
        f"/persons/{theirs.id}/same-as",
        f"/persons/{mine.id}/merge/{theirs.id}",
        f"/persons/{theirs.id}/merge/{mine.id}",
    ):
        assert coordinator_client.get(url).status_code == 404, url
    assert merge_on_page(coordinator_client, mine, theirs).status_code == 404
    response = coordinator_client.form_post(
        f"/persons/{theirs.id}/merge/{mine.id}", {"keep": str(mine.id)}
    )
    assert response.status_code == 404
    assert reload(theirs).merged_into_id is None
    assert reload(theirs).canonical_id == theirs.id
    assert reload(mine).merged_into_id is None
    assert db.session.scalar(select(func.count()).select_from(PersonMerge)) == 0
    assert events("person.read") == 0


def test_another_organisations_merge_cannot_be_undone(coordinator_client, factory, other_org):
    stranger = factory.user(other_org, "coordinator")
    a, b = factory.person(other_org, "A"), factory.person(other_org, "B")
    merge = services.merge_persons(stranger, a.id, b.id)
    assert coordinator_client.get(f"/persons/merges/{merge.id}/undo").status_code == 404
    response = coordinator_client.form_post(f"/persons/merges/{merge.id}/undo", {})
    assert response.status_code == 404
    assert reload(a).merged_into_id == b.id


def test_unknown_person_is_not_found(coordinator_client):
    assert coordinator_client.get(f"/persons/{uuid.uuid4()}").status_code == 404


# --- finding the duplicate ---------------------------------------------------------------------


def test_same_as_page_suggests_similar_persons(
    coordinator_client, coordinator, two_records, factory, org
):
    mai, may = two_records
    factory.person(org, "Olga", nationality="UA")
    html = page(coordinator_client.get(f"/persons/{may.id}/same-as"))
    assert f'href="/persons/{may.id}/merge/{mai.id}"' in html
    assert "Olga" not in html
    assert events("person.read") == 0


def test_same_as_search_finds_others_but_not_herself(
    coordinator_client, coordinator, two_records, factory, org
):
    mai, may = two_records
    olga = factory.person(org, "Olga")
    response = coordinator_client.form_post(f"/persons/{may.id}/same-as", {"q": "olga"})
    assert response.status_code == 200
    html = page(response)
    assert f'href="/persons/{may.id}/merge/{olga.id}"' in html
    response = coordinator_client.form_post(f"/persons/{may.id}/same-as", {"q": "May"})
    assert f"/merge/{may.id}" not in page(response)


def test_same_as_search_needs_an_alias(coordinator_client, two_records):
    _mai, may = two_records
    response = coordinator_client.form_post(f"/persons/{may.id}/same-as", {"q": " "})
    assert response.status_code == 422
    assert 'class="error"' in page(response)


# --- merging ------------------------------------------------------------------------------------


def test_merge_confirmation_shows_both_records_and_what_will_happen(
    coordinator_client, two_records
):
    mai, may = two_records
    response = coordinator_client.get(f"/persons/{may.id}/merge/{mai.id}")
    assert response.status_code == 200
    html = page(response)
    assert html.count('class="card side"') == 2
    assert "Mai" in html and "May" in html
    assert "one person" in html or "én person" in html
    assert "undone" in html or "fortrydes" in html
    # Mai was met first, so she is the suggested record to keep.
    assert re.search(rf'value="{mai.id}"[^>]*checked|checked[^>]*value="{mai.id}"', html)
    # Both records are read in full: two audited reads.
    assert events("person.read", mai.id) == 1
    assert events("person.read", may.id) == 1
    assert reload(may).merged_into_id is None  # showing it changes nothing


def test_merge_through_the_pages_merges_and_first_contact_follows(
    coordinator_client, coordinator, two_records
):
    mai, may = two_records
    assert queries.first_contact_at(coordinator.organisation_id, may).date() == date(2024, 3, 1)
    response = merge_on_page(coordinator_client, may, mai)  # keep May; Mai is the duplicate
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/persons/{may.id}")
    mai, may = reload(mai), reload(may)
    assert mai.merged_into_id == may.id
    assert mai.canonical_id == may.id
    assert queries.first_contact_at(coordinator.organisation_id, may).date() == date(2023, 5, 10)
    assert events("person.merge") == 1
    html = page(coordinator_client.get("/persons/"))
    assert list_rows(html) == ["May"]
    assert "2023" in html.split('class="when first">', 1)[1].split("</td>", 1)[0]


def test_undo_merge_through_the_pages_restores_both_persons(
    coordinator_client, coordinator, two_records
):
    mai, may = two_records
    merge_on_page(coordinator_client, may, mai)
    merge = db.session.scalar(select(PersonMerge))
    html = page(coordinator_client.get(f"/persons/{may.id}"))
    assert f'href="/persons/merges/{merge.id}/undo"' in html

    confirm = coordinator_client.get(f"/persons/merges/{merge.id}/undo")
    assert confirm.status_code == 200
    assert reload(mai).merged_into_id == may.id  # the confirmation page changes nothing

    response = coordinator_client.form_post(f"/persons/merges/{merge.id}/undo", {})
    assert response.status_code == 303
    mai, may = reload(mai), reload(may)
    assert mai.merged_into_id is None and mai.canonical_id == mai.id
    assert may.canonical_id == may.id
    assert queries.first_contact_at(coordinator.organisation_id, may).date() == date(2024, 3, 1)
    assert events("person.unmerge") == 1
    assert sorted(list_rows(page(coordinator_client.get("/persons/")))) == ["Mai", "May"]
    history = page(coordinator_client.get(f"/persons/{may.id}"))
    assert f"/persons/merges/{merge.id}/undo" not in history
    assert 'class="undone"' in history


def test_merging_an_already_merged_record_shows_a_clear_message(
    coordinator_client,
    coordinator,
    two_records,
    factory,
    org,
):
    mai, may = two_records
    olga = factory.person(org, "Olga")
    # The page was opened, then someone else merged May into Olga before the click.
    services.merge_persons(coordinator, may.id, olga.id)
    response = merge_on_page(coordinator_client, mai, may)
    assert response.status_code == 422
    assert reload(may).merged_into_id == olga.id
    assert events("person.merge") == 1


def test_merging_the_same_person_twice_shows_a_clear_message(
    coordinator_client, coordinator, two_records
):
    mai, may = two_records
    assert merge_on_page(coordinator_client, mai, may).status_code == 303
    html = page(coordinator_client.get(f"/persons/{mai.id}/merge/{may.id}"))
    assert "already the same person" in html or 'class="notice"' in html
    assert '<form method="post" action="/persons/' + str(mai.id) + "/merge" not in html
    response = merge_on_page(coordinator_client, mai, may)
    assert response.status_code in (409, 422)
    assert 'role="alert"' in page(response)
    assert events("person.merge") == 1


def test_merge_error_from_the_service_is_shown_on_the_confirmation_page(
    coordinator_client, coordinator, two_records, monkeypatch
):
    mai, may = two_records

    def refuse(*args, **kwargs):
        raise services.MergeError("This person is already merged into another; merge that one.")

    monkeypatch.setattr(services, "merge_persons", refuse)
    response = merge_on_page(coordinator_client, mai, may)
    assert response.status_code == 409
    assert "already merged into another" in page(response)


def test_undoing_a_merge_twice_shows_a_clear_message(coordinator_client, coordinator, two_records):
    mai, may = two_records
    merge = services.merge_persons(coordinator, may.id, mai.id)
    services.unmerge_persons(coordinator, merge.id)
    html = page(coordinator_client.get(f"/persons/merges/{merge.id}/undo"))
    assert 'class="notice"' in html
    response = coordinator_client.form_post(
        f"/persons/merges/{merge.id}/undo", {}, follow_redirects=True
    )
    assert "flash-error" in page(response)
    assert events("person.unmerge") == 1


def test_merge_without_csrf_token_is_refused(coordinator_client, two_records):
    mai, may = two_records
    response = coordinator_client.client.post(
        f"/persons/{mai.id}/merge/{may.id}", data={"keep": str(mai.id)}
    )
    assert response.status_code == 400
    assert reload(may).merged_into_id is None
