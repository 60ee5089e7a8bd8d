"""Lost-phone revocation (issue 13 items 3 and 5, SECURITY.md 23): an admin revokes the phone
from the admin page while it is offline with two unsent visits; back online, the phone deletes
what the server already had, keeps the two visits (sealed) and says so; after a new login of
the same nurse and her PIN they are sent exactly once. A colleague's login on the revoked phone
neither reads nor sends them."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from outreach import demo
from outreach.auth.models import DeviceKey, User
from outreach.db import db
from outreach.visits.models import Visit
from tests.conftest import PASSWORD, Factory
from tests.field.conftest import NURSE, PIN, known_person, log_visit, open_clinic, unique
from tests.field.test_field_encryption import dump

pytestmark = pytest.mark.browser

ADMIN = "admin@demo.outreach.dk"
DATA_STORES = ("clinics", "visits", "persons", "conversations", "route_plans", "drafts")


def store_counts(device) -> dict[str, int]:
    """How many records each store of the phone holds, read around the app (raw IndexedDB)."""
    return {
        name.split("/", 1)[1]: len(records)
        for name, records in dump(device.page).items()
        if name.startswith("outreach-field/")
    }


def keyring_entry(device, user_id: str) -> list[str]:
    """What the phone keeps of the nurse's data key: the names of its fields (pin, recovery:
    the wrapped copies)."""
    ring = "(await m.getMeta('keyring'))"
    return device.evaluate_module("db.js", f"Object.keys({ring}['{user_id}'])")


def revoke_from_admin_page(page, log_in, nurse_id: str, device_row_id: str, screenshot):
    log_in(page, ADMIN)
    page.goto(f"/admin/users/{nurse_id}#devices")
    revoke = page.locator(f'form[action$="/devices/{device_row_id}/revoke"]')
    revoke.scroll_into_view_if_needed()
    screenshot(page, "admin-devices-390", full_page=False)
    revoke.get_by_role("button", name="Revoke this phone").click()
    page.wait_for_url(re.compile(r"/admin/users/[0-9a-f-]{36}#devices$"))
    expect(page.locator("p.flash").first).to_contain_text("The phone is revoked")
    restore = page.locator(f'form[action$="/devices/{device_row_id}/restore"]')
    expect(restore.get_by_role("button", name="Undo the revocation")).to_be_visible()
    restore.scroll_into_view_if_needed()
    screenshot(page, "admin-device-revoked-390", full_page=False)


def phone_offline_with_two_unsent_visits(phone, in_db):
    """A nurse's phone after a sync, offline, with two visits made there; and the server's ids
    of the nurse and of this phone."""
    clinic, _ = known_person(in_db, unique("Revokealias"))
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device_id = device.evaluate_module("db.js", "await m.deviceId()")

    def ids():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        row = db.session.scalar(
            select(DeviceKey).where(DeviceKey.device_id == uuid.UUID(device_id))
        )
        return str(nurse.id), str(row.id)

    nurse_id, device_row_id = in_db(ids)
    device.go_offline()
    notes = [f"Revokenote {uuid.uuid4().hex[:8]}" for _ in range(2)]
    visit_ids = []
    for note in notes:
        open_clinic(page, clinic)
        visit_ids.append(log_visit(page, admitted=True, note=note))
    assert [e["id"] for e in device.outbox()] == visit_ids
    return device, nurse_id, device_row_id, visit_ids, notes


def arrivals(in_db, visit_ids):
    def read():
        ids = [uuid.UUID(v) for v in visit_ids]
        return db.session.scalar(select(func.count()).select_from(Visit).where(Visit.id.in_(ids)))

    return in_db(read)


def count_stored_puts(device, visit_ids) -> dict[str, int]:
    """Counts, per visit, the PUTs the server answered with success (a stored record)."""
    stored = {visit_id: 0 for visit_id in visit_ids}

    def seen(response):
        request = response.request
        if request.method == "PUT" and response.ok:
            for visit_id in visit_ids:
                if request.url.endswith(f"/api/v1/visits/{visit_id}"):
                    stored[visit_id] += 1

    device.page.on("response", seen)
    return stored


def log_in_on_the_revoked_phone(page, email=NURSE, password=demo.DEMO_PASSWORD):
    page.get_by_role("link", name="Log in again").click()
    page.wait_for_selector("form.login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_a_revoked_phone_deletes_what_was_sent_keeps_two_unsent_visits_and_sends_them_once(
    phone, in_db, page, log_in, live_server, screenshot
):
    device, nurse_id, device_row_id, visit_ids, notes = phone_offline_with_two_unsent_visits(
        phone, in_db
    )
    app_page = device.page
    before = store_counts(device)
    assert before["clinics"] > 0 and before["persons"] > 0 and before["outbox"] == 2
    assert sorted(keyring_entry(device, nurse_id)) == sorted(
        ["salt", "iterations", "pin", "failures", "recovery"]
    )

    live_server.start()  # the server is back; the phone is still offline
    revoke_from_admin_page(page, log_in, nurse_id, device_row_id, screenshot)
    assert arrivals(in_db, visit_ids) == 0

    device.go_online()
    app_page.wait_for_url(re.compile(r"#/revoked$"))
    kept = app_page.locator("main .unsent-kept")
    expect(kept).to_contain_text("Records not sent yet: 2")
    expect(app_page.locator("main")).to_contain_text("Call your coordinator or the team")
    # The team's number from the SMS settings, one tap to call.
    expect(app_page.locator("main a.team-phone")).to_have_attribute(
        "href", f"tel:{demo.SMS_TEAM_PHONE}"
    )
    after = store_counts(device)
    assert {store: after[store] for store in DATA_STORES} == dict.fromkeys(DATA_STORES, 0)
    assert after["outbox"] == 2
    # Sealed: neither note is readable on the phone, nor by the page, and the copy of the data
    # key under the recovery key is gone (only her PIN opens them now).
    raw = str(dump(app_page))
    assert not any(note in raw for note in notes)
    assert not any(note in app_page.content() for note in notes)
    assert device.evaluate_module("db.js", "m.isUnlocked()") is False
    assert "recovery" not in keyring_entry(device, nurse_id)
    assert arrivals(in_db, visit_ids) == 0
    screenshot(app_page, "field-revoked")

    device.reload(pin=None)  # a restart keeps the revoked screen
    assert app_page.evaluate("location.hash") == "#/revoked"
    expect(kept).to_contain_text("Records not sent yet: 2")

    stored = count_stored_puts(device, visit_ids)
    log_in_on_the_revoked_phone(app_page)
    app_page.wait_for_url(re.compile(r"#/unlock$"))
    pin_form = app_page.locator("form.pin-form")
    expect(pin_form).to_contain_text("Give your PIN to open the records kept on this phone.")
    # A new login cannot replace a forgotten PIN here: the screen says so, offers no such login.
    expect(pin_form).to_contain_text("Only your PIN opens them now")
    expect(pin_form.get_by_role("button", name=re.compile("Forgot your PIN"))).to_have_count(0)
    screenshot(app_page, "field-revoked-pin")
    device.unlock(PIN)
    device.wait_all_sent()
    assert arrivals(in_db, visit_ids) == 2
    app_page.wait_for_timeout(1000)  # nothing more goes out afterwards
    assert stored == dict.fromkeys(visit_ids, 1)
    # The new recovery key wraps the data key again: a forgotten PIN loses nothing again.
    assert "recovery" in keyring_entry(device, nurse_id)


def test_a_colleague_logging_in_on_a_revoked_phone_neither_reads_nor_sends_its_records(
    phone, in_db, page, log_in, live_server, screenshot
):
    from outreach.orgs.models import Organisation

    device, nurse_id, device_row_id, visit_ids, notes = phone_offline_with_two_unsent_visits(
        phone, in_db
    )
    app_page = device.page

    def colleague():
        nurse = db.session.get(User, uuid.UUID(nurse_id))
        return Factory().user(db.session.get(Organisation, nurse.organisation_id), "nurse").email

    other = in_db(colleague)
    live_server.start()
    revoke_from_admin_page(page, log_in, nurse_id, device_row_id, lambda *a, **k: None)
    device.go_online()
    app_page.wait_for_url(re.compile(r"#/revoked$"))

    stored = count_stored_puts(device, visit_ids)
    log_in_on_the_revoked_phone(app_page, other, PASSWORD)
    device.set_pin("739102")  # her first login on this phone: her own PIN
    device.wait_synced()
    app_page.get_by_role("link", name="Outbox").click()
    expect(app_page.locator("main")).to_contain_text("Made by another user")
    assert not any(note in app_page.content() for note in notes)
    assert [e["body"] for e in device.outbox()] == [None, None]
    assert arrivals(in_db, visit_ids) == 0
    assert stored == dict.fromkeys(visit_ids, 0)
    # Her account page (same browser, same session) lists this phone as hers, in use.
    account = device.context.new_page()
    account.goto(f"{live_server.url}/account#devices")
    devices = account.locator("#devices")
    expect(devices).to_contain_text("In use")
    expect(devices.get_by_role("button", name="Revoke this phone")).to_have_count(1)
    devices.scroll_into_view_if_needed()
    screenshot(account, "account-devices-390")
    account.close()
