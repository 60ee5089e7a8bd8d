"""Recognising a person met before: alias similarity across spelling variants, accents and
case, and the ranking by nationality, birth year and recent clinic; then the suggestions
service on real rows (merged duplicates and other organisations left out)."""

import uuid
from datetime import timedelta

import pytest

from outreach.changes import stamp
from outreach.db import utcnow
from outreach.persons import matching, queries, services
from outreach.persons.models import Person

# --- alias similarity -----------------------------------------------------------------------


def test_folding_drops_case_accents_and_everything_but_letters():
    assert matching.fold("Ánná-Maria 2") == "annamaria"


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("Yasmin", "Jassmine"),
        ("Natasha", "Natascha"),
        ("Mai", "May"),
        ("Cristina", "Kristina"),
        ("Cristina", "Christina"),
        ("Ioana", "Joana"),
        ("Ana", "Anna"),
    ],
)
def test_spelling_variants_written_down_by_ear_are_close(written, heard):
    assert matching.alias_similarity(written, heard) >= 0.9


@pytest.mark.parametrize(("accented", "plain"), [("Ánna", "Anna"), ("Nataša", "Natasha")])
def test_accents_make_little_or_no_difference(accented, plain):
    assert matching.alias_similarity(accented, plain) >= 0.9


def test_an_accent_alone_makes_no_difference():
    assert matching.alias_similarity("Ánna", "Anna") == 1.0


def test_case_makes_no_difference():
    assert matching.alias_similarity("MAI", "mai") == 1.0


def test_a_name_that_starts_another_is_close():
    assert matching.alias_similarity("Lin", "Lina") >= 0.8


@pytest.mark.parametrize(
    ("one", "other"), [("Nok", "Mai"), ("Bella", "Mai"), ("Lin", "Kim"), ("Yasmin", "Natasha")]
)
def test_unrelated_aliases_are_far_apart(one, other):
    assert matching.alias_similarity(one, other) < matching.MIN_ALIAS_SIMILARITY


def test_an_alias_without_letters_matches_nothing():
    assert matching.alias_similarity("??", "Mai") == 0.0


def test_similarity_does_not_depend_on_the_order():
    assert matching.alias_similarity("Jassmine", "Yasmin") == matching.alias_similarity(
        "Yasmin", "Jassmine"
    )


# --- scoring and ranking -------------------------------------------------------------------


def candidate(alias, nationality=None, birth_year=None, clinics=()) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "alias": alias,
        "nationality": nationality,
        "birth_year": birth_year,
        "gender": "woman",
        "recent_clinic_ids": list(clinics),
        "merged_into_id": None,
    }


def ranked_aliases(query: dict, candidates: list[dict], limit: int = 10) -> list[str]:
    return [c["alias"] for c, _, _ in matching.rank(query, candidates, limit)]


def test_an_unrelated_alias_scores_nothing_even_with_everything_else_the_same():
    query = {"alias": "Nok", "nationality": "TH", "birth_year": 1990, "clinic_id": "c1"}

    assert matching.score(query, candidate("Mai", "TH", 1990, ["c1"])) == (0.0, [])


def test_unrelated_aliases_are_not_suggested():
    candidates = [candidate("Bella"), candidate("Nok"), candidate("Kim")]

    assert ranked_aliases({"alias": "Mai"}, candidates) == []


def test_a_birth_year_one_off_ranks_higher_than_three_off():
    three_off, one_off = candidate("Mai", birth_year=1992), candidate("Mai", birth_year=1996)

    ranked = matching.rank({"alias": "Mai", "birth_year": 1995}, [three_off, one_off])

    assert [c for c, _, _ in ranked] == [one_off, three_off]


def test_the_same_nationality_ranks_higher():
    romanian, bulgarian = candidate("Ioana", "RO"), candidate("Ioana", "BG")

    ranked = matching.rank({"alias": "Ioana", "nationality": "RO"}, [bulgarian, romanian])

    assert [c for c, _, _ in ranked] == [romanian, bulgarian]


def test_a_person_met_recently_in_the_same_clinic_ranks_higher():
    elsewhere, here = candidate("Lin", clinics=["c2"]), candidate("Lin", clinics=["c1", "c3"])

    ranked = matching.rank({"alias": "Lin", "clinic_id": "c1"}, [elsewhere, here])

    assert [c for c, _, _ in ranked] == [here, elsewhere]


def test_a_close_variant_with_matching_details_beats_an_exact_alias_without_them():
    exact = candidate("Mai", "VN", 1980)
    variant = candidate("May", "TH", 1995)

    ranked = matching.rank(
        {"alias": "Mai", "nationality": "TH", "birth_year": 1995}, [exact, variant]
    )

    assert [c for c, _, _ in ranked] == [variant, exact]


def test_the_reasons_name_what_matched():
    query = {"alias": "Mai", "nationality": "TH", "birth_year": 1995, "clinic_id": "c1"}

    _, reasons = matching.score(query, candidate("May", "TH", 1994, ["c1"]))

    assert reasons == ["alias", "nationality", "birth_year", "clinic"]


def test_the_same_name_is_labelled_as_the_same_not_as_similar():
    _, reasons = matching.score({"alias": "szandra"}, candidate("Szándra"))

    assert reasons == ["same_alias"]


def test_the_same_birth_year_ranks_above_one_year_off():
    one_off, same = candidate("Szandra", birth_year=1991), candidate("Szandra", birth_year=1990)

    ranked = matching.rank({"alias": "Szandra", "birth_year": 1990}, [one_off, same])

    assert [c for c, _, _ in ranked] == [same, one_off]
    assert ranked[0][1] > ranked[1][1]


def test_among_equal_matches_the_person_met_most_recently_comes_first():
    never = candidate("Szandra")
    long_ago = {**candidate("Szandra"), "last_met_at": "2024-02-01T10:00:00+00:00"}
    lately = {**candidate("Szandra"), "last_met_at": "2026-05-03T10:00:00+00:00"}

    ranked = matching.rank({"alias": "Szandra"}, [never, long_ago, lately])

    assert [c for c, _, _ in ranked] == [lately, long_ago, never]


def test_the_same_name_ranks_above_a_similar_one_with_the_same_details():
    similar = {**candidate("Sandra", "HU", 1990), "last_met_at": "2026-05-03T10:00:00+00:00"}
    same = candidate("Szandra", "HU", 1990)

    ranked = matching.rank({"alias": "Szandra", "nationality": "HU"}, [similar, same])

    assert [c for c, _, _ in ranked] == [same, similar]


def test_scores_stay_between_zero_and_one():
    query = {"alias": "Mai", "nationality": "TH", "birth_year": 1995, "clinic_id": "c1"}

    total, _ = matching.score(query, candidate("Mai", "TH", 1995, ["c1"]))
    near, _ = matching.score(query, candidate("Mai", "TH", 1996, ["c1"]))

    assert total == 1.0
    assert 0 < near < total


def test_unknown_details_neither_help_nor_hurt():
    query = {"alias": "Mai", "nationality": None, "birth_year": None, "clinic_id": None}

    with_details, _ = matching.score(query, candidate("Mai", "TH", 1995, ["c1"]))
    without, _ = matching.score(query, candidate("Mai"))

    assert with_details == without


def test_the_ranking_keeps_at_most_the_limit():
    candidates = [candidate("Mai", birth_year=1980 + n) for n in range(5)]

    assert len(matching.rank({"alias": "Mai"}, candidates, limit=3)) == 3


# --- the suggestions service on real rows ----------------------------------------------------


def suggested(user, **query) -> list[Person]:
    return [s.person for s in queries.suggestions(user, **query)]


def test_suggestions_rank_spelling_variants_of_the_organisations_persons(org, nurse, factory):
    yasmin = factory.person(org, "Yasmin", nationality="RO", birth_year=1996)
    jasmin = factory.person(org, "Jasmin", nationality="BG", birth_year=1980)
    factory.person(org, "Nok", nationality="TH")

    found = suggested(nurse, alias="Jassmine", nationality="RO", birth_year=1997)

    assert found == [yasmin, jasmin]


def test_suggestions_leave_out_merged_duplicates(org, nurse, coordinator, factory):
    kept = factory.person(org, "Natasha", nationality="UA")
    duplicate = factory.person(org, "Natascha", nationality="UA")
    services.merge_persons(coordinator, duplicate.id, kept.id)

    assert suggested(nurse, alias="Natascha") == [kept]


def test_suggestions_rank_a_person_met_recently_in_this_clinic_first(org, nurse, factory):
    clinic, elsewhere = factory.clinic(org), factory.clinic(org)
    here = factory.person(org, "Mai")
    there = factory.person(org, "Mai")
    factory.conversation(here, factory.visit(clinic, utcnow() - timedelta(days=20)))
    factory.conversation(there, factory.visit(elsewhere, utcnow() - timedelta(days=20)))

    assert suggested(nurse, alias="May", clinic_id=clinic.id) == [here, there]


def test_suggestions_never_include_another_organisations_persons(org, other_org, nurse, factory):
    ours = factory.person(org, "Mai")
    factory.person(other_org, "Mai")

    assert suggested(nurse, alias="Mai") == [ours]


def test_suggestions_answer_nothing_when_no_one_is_close(org, nurse, factory):
    factory.person(org, "Bella")

    assert suggested(nurse, alias="Nok") == []


def test_suggestions_tell_when_and_where_she_was_last_met_and_how_often(org, nurse, factory):
    clinic = factory.clinic(org)
    szandra = factory.person(org, "Szandra", nationality="HU", birth_year=1990)
    factory.conversation(szandra, occurred_at=utcnow() - timedelta(days=90))
    visit = factory.visit(clinic, utcnow() - timedelta(days=3))
    factory.conversation(szandra, visit)

    (suggestion,) = queries.suggestions(nurse, alias="Szandra")

    assert suggestion.person == szandra
    assert suggestion.reasons == ["same_alias"]
    assert suggestion.conversations == 2
    assert suggestion.last_clinic_id == clinic.id
    assert abs(suggestion.last_met_at - visit.started_at) < timedelta(seconds=1)


def test_the_index_counts_the_conversations_of_merged_records_together(
    org, nurse, coordinator, factory
):
    kept = factory.person(org, "Natasha")
    duplicate = factory.person(org, "Natascha")
    factory.conversation(kept, occurred_at=utcnow() - timedelta(days=200))
    factory.conversation(duplicate, occurred_at=utcnow() - timedelta(days=5))
    services.merge_persons(coordinator, duplicate.id, kept.id)

    (entry,) = queries.person_index(org.id)

    assert entry["id"] == str(kept.id)
    assert entry["conversations"] == 2
    assert entry["last_clinic_id"] is None  # a phone call, not in a visit
    assert entry["last_met_at"] > (utcnow() - timedelta(days=6)).isoformat()


# --- Ranking 20,000 encrypted aliases (docs/performance.md, "Encrypted aliases") -------------


def test_ranking_many_aliases_scores_exactly_as_one_at_a_time():
    import random

    rng = random.Random(12)
    letters = "aeiouymnlkstrjhpfcwzxqdbg-é "
    aliases = ["".join(rng.choice(letters) for _ in range(rng.randint(0, 12))) for _ in range(800)]
    aliases += ["Mai", "Lina", "Yasmin", "Jasmine", "Jassmine", "Anna-Maria", "Ánna", "", "Mai 2"]
    for query in ["Jassmine", "Mai", "ana", "x", "", *aliases[:25]]:
        similarity_of = matching.similarity_to(query)
        for alias in aliases:
            exact = matching.alias_similarity(query, alias)
            fast = similarity_of(alias)
            if max(exact, fast) >= matching.MIN_ALIAS_SIMILARITY:
                assert fast == exact, (query, alias)


def test_the_organisations_index_is_kept_while_nothing_changes(app, factory, org, monkeypatch):
    monkeypatch.setitem(app.config, "PERSON_INDEX_CACHE", True)
    mai = factory.person(org, "Mai")

    first = queries.person_index(org.id)
    assert queries.person_index(org.id) is first  # the same change number: not read again
    factory.person(org, "Szandra")  # a change takes the next number
    second = queries.person_index(org.id)
    mai.alias = "May"
    stamp(mai)  # changed in this transaction, not numbered yet: read, not kept
    third = queries.person_index(org.id)

    assert [p["alias"] for p in first] == ["Mai"]
    assert sorted(p["alias"] for p in second) == ["Mai", "Szandra"]
    assert sorted(p["alias"] for p in third) == ["May", "Szandra"]
    assert queries.person_index(org.id) is not third
