"""The phones learn of the persons the retention purge deleted: the pull hands out their ids
(tombstones in the change sequence), so no phone keeps a purged person in its index."""

from outreach import scheduler
from outreach.db import db
from tests.retention.conftest import DELETED, KEPT, NOW


def pull(client, **params) -> dict:
    response = client.get("/api/v1/sync", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def pull_all(client, cursor: int, limit: int = 500) -> list[dict]:
    pages = []
    while True:
        page = pull(client, cursor=cursor, limit=limit)
        pages.append(page)
        cursor = page["cursor"]
        if not page["more"]:
            return pages


def test_a_phone_is_told_which_persons_were_deleted(retention_data, nurse_client):
    first = pull(nurse_client)
    on_phone = {p["id"] for p in first["persons"]}
    deleted = {str(retention_data.persons[key].id) for key in DELETED}
    assert deleted <= on_phone and first["deleted_persons"] == []

    scheduler.run_locked("retention", lambda: scheduler.retention_job(NOW), holder="t:1")
    db.session.expire_all()

    answer = pull(nurse_client, cursor=first["cursor"])
    assert set(answer["deleted_persons"]) == deleted
    assert not deleted & {p["id"] for p in answer["persons"]}
    # Pulled again from the new cursor: nothing more.
    assert pull(nurse_client, cursor=answer["cursor"])["deleted_persons"] == []


def test_the_deletions_page_like_every_other_change(retention_data, nurse_client):
    deleted = sorted(str(retention_data.persons[key].id) for key in DELETED)
    cursor = pull(nurse_client)["cursor"]
    scheduler.run_locked("retention", lambda: scheduler.retention_job(NOW), holder="t:1")
    db.session.expire_all()

    pages = pull_all(nurse_client, cursor, limit=2)

    assert len(pages) > 3
    assert sorted(pid for page in pages for pid in page["deleted_persons"]) == deleted


def test_a_phone_starting_from_nothing_gets_no_deletions_and_no_deleted_person(
    retention_data, nurse_client
):
    kept = {str(retention_data.persons[key].id) for key in KEPT}
    scheduler.run_locked("retention", lambda: scheduler.retention_job(NOW), holder="t:1")
    db.session.expire_all()

    answer = pull(nurse_client)

    assert answer["deleted_persons"] == []
    assert {p["id"] for p in answer["persons"]} == kept
