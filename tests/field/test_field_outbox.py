"""The outbox's answers to trouble: a stale CSRF token is renewed, server errors and throttling
keep the record for a later try, and a record whose answer was lost is resent harmlessly."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from outreach.db import db
from outreach.visits.models import Visit
from tests.field.conftest import (
    choose,
    known_person,
    log_visit,
    open_clinic,
    server_records,
    unique,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def online_phone(phone, in_db):
    clinic, _ = known_person(in_db, unique("Som"))
    device = phone()
    device.start_app()
    device.log_in()
    device.wait_synced()
    open_clinic(device.page, clinic)
    return device


def test_a_stale_csrf_token_is_renewed_and_the_record_goes_out(online_phone, in_db):
    device = online_phone
    device.evaluate_module("api.js", "await m.setToken('no-longer-valid')")
    visit_id = log_visit(device.page, admitted=False, reason="Refused")
    device.wait_all_sent()
    assert visit_id in server_records(in_db, [{"kind": "visit", "id": visit_id}])
    token = device.evaluate_module("db.js", "await m.getMeta('csrf')")
    assert token and token != "no-longer-valid"


def test_a_refused_csrf_token_is_recognised_by_the_reason_not_by_the_wording(phone):
    device = phone()
    device.start_app()

    verdicts = device.evaluate_module(
        "api.js",
        """[
          {status: 400, ok: false, data: {code: 400, message: "Ugyldig token", reason: "csrf"}},
          {status: 400, ok: false, data: {code: 400, message: "The csrf column is unknown"}},
        ].map(m.classify)""",
    )

    assert verdicts == ["csrf", "refused"]


def test_server_errors_and_throttling_keep_the_record_for_a_later_try(
    online_phone, in_db, live_server
):
    device = online_phone
    live_server.faults.statuses.extend([503, 429])
    visit_id = log_visit(device.page, admitted=False, reason="No answer")
    device.wait_until("db.js", "(await m.outboxEntries())[0]?.attempts >= 1")
    [entry] = device.outbox()
    assert entry["state"] == "waiting" and entry["error"] is None
    device.page.get_by_role("link", name="Outbox").click()
    status = device.page.locator(".outbox-status")
    assert "trying again" in status.inner_text() or "not sent yet" in status.inner_text()
    device.page.get_by_role("button", name="Send now").click()  # 429 now, or the timer had it
    device.wait_until("outbox.js", "m.status().lastProblem === 'server'")
    for _ in range(150):  # the 429 is taken by "Send now" or by the backoff timer (10 s)
        if not live_server.faults.statuses:
            break
        device.page.wait_for_timeout(100)
    assert live_server.faults.statuses == []
    assert device.evaluate_module("db.js", "await m.count('outbox')") in (0, 1)
    device.evaluate_module("outbox.js", "await m.sendNow()")
    device.wait_all_sent()
    assert visit_id in server_records(in_db, [{"kind": "visit", "id": visit_id}])


def test_a_record_whose_answer_was_lost_is_resent_harmlessly(online_phone, in_db, live_server):
    device = online_phone
    live_server.faults.lose_answers = 1
    visit_id = log_visit(device.page, admitted=False, reason="Moved")
    device.wait_until("db.js", "(await m.outboxEntries())[0]?.attempts >= 1")
    first = server_records(in_db, [{"kind": "visit", "id": visit_id}])[visit_id]
    assert len(device.outbox()) == 1  # stored on the server, but the phone cannot know

    device.evaluate_module("outbox.js", "await m.sendNow()")
    device.wait_all_sent()
    again = server_records(in_db, [{"kind": "visit", "id": visit_id}])[visit_id]
    assert again["sync_seq"] == first["sync_seq"]  # the resend changed nothing
    assert (
        in_db(
            lambda: db.session.scalar(select(func.count()).where(Visit.id == uuid.UUID(visit_id)))
        )
        == 1
    )


def test_a_colleague_ticked_on_the_visit_is_stored_with_the_nurse(online_phone, in_db):
    device = online_phone
    page = device.page
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    choose(page, "outcome", "Admitted")
    choose(page, "staff", "Karen Koordinator")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))
    visit_id = page.url.rsplit("/", 1)[1]
    device.wait_all_sent()

    def staff_names():
        from outreach.auth.models import User

        visit = db.session.get(Visit, uuid.UUID(visit_id))
        return sorted(db.session.get(User, uuid.UUID(s)).name for s in visit.staff)

    assert in_db(staff_names) == ["Karen Koordinator", "Nina Sygeplejerske"]
