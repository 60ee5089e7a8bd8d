"""Data protection on the phone (issue 13, SECURITY.md 22): what the app keeps in IndexedDB is
sealed under the nurse's data key, a marker written on the phone appears in no store and no
cache in clear; the PIN is chosen at the first login (easy ones refused) and can be changed; an
old phone that kept its records in clear is migrated at its first unlock without losing one."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.visits.models import Visit
from tests.field.conftest import (
    NURSE,
    PIN,
    known_person,
    log_visit,
    new_person,
    open_clinic,
    save_conversation,
    server_records,
    start_conversation,
    unique,
)
from tests.field.test_field_privacy import CACHE_DUMP

pytestmark = pytest.mark.browser

# Every record of every store, read around the app (raw IndexedDB), with each binary value
# (a sealed field) also written out as its bytes: a marker in clear would show either way.
IDB_DUMP = """async () => {
  const bytes = (b) => Array.from(new Uint8Array(b), (c) => String.fromCharCode(c)).join("");
  const text = (v) => {
    if (v instanceof ArrayBuffer) return bytes(v) + new TextDecoder().decode(v);
    if (ArrayBuffer.isView(v)) return bytes(v.buffer) + new TextDecoder().decode(v);
    if (Array.isArray(v)) return "[" + v.map(text).join(",") + "]";
    if (v && typeof v === "object") {
      return "{" + Object.entries(v).map(([k, x]) => k + ":" + text(x)).join(",") + "}";
    }
    return JSON.stringify(v);
  };
  const out = {};
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open(info.name);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => no(r.error);
    });
    for (const name of db.objectStoreNames) {
      const all = await new Promise((ok, no) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => ok(r.result);
        r.onerror = () => no(r.error);
      });
      out[info.name + "/" + name] = all.map(text);
    }
    db.close();
  }
  return out;
}"""


def dump(page) -> dict[str, list[str]]:
    return page.evaluate(IDB_DUMP)


def test_after_a_sync_and_an_offline_visit_no_marker_is_in_clear_on_the_phone(phone, in_db):
    known_alias = unique("Markeralias Known")
    clinic, _ = known_person(in_db, known_alias)
    alias_marker = unique("Markeralias New")
    note_marker = f"Notemarker {uuid.uuid4().hex[:8]}"
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, admitted=True, note=note_marker)
    start_conversation(page, alias_marker)
    new_person(page)
    save_conversation(page)
    # The app itself reads them (through db.js), and they are waiting to be sent.
    assert device.evaluate_module("db.js", f"(await m.get('visits', '{visit_id}')).notes") == (
        note_marker
    )
    assert len(device.outbox()) == 3
    assert known_alias in device.evaluate_module(
        "db.js", "(await m.getAll('persons')).map(p => p.alias).join('|')"
    )

    stores = dump(page)
    everything = "\n".join(line for lines in stores.values() for line in lines)
    for marker in (note_marker, alias_marker, known_alias):
        assert marker not in everything
    assert len(stores["outreach-field/outbox"]) == 3
    assert stores["outreach-field/persons"] and stores["outreach-field/visits"]
    cached = "\n".join(item["url"] + item["body"] for item in page.evaluate(CACHE_DUMP))
    assert note_marker not in cached and alias_marker not in cached and known_alias not in cached

    device.go_online()
    device.wait_all_sent()
    assert visit_id in server_records(in_db, [{"kind": "visit", "id": visit_id}])
    everything = "\n".join(line for lines in dump(page).values() for line in lines)
    assert note_marker not in everything and alias_marker not in everything


def test_the_pin_refuses_short_and_easy_ones_in_english_and_danish(phone, screenshot):
    device = phone()
    page = device.start_app()
    page.get_by_label("Email").fill(NURSE)
    page.get_by_label("Password").fill("demo-outreach-2026")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"#/pin$"))
    errors = page.locator(".form-errors")
    for easy in ("000000", "123456", "654321", "121212", "123123", "890123"):
        page.get_by_label("New PIN", exact=True).fill(easy)
        page.get_by_label("The new PIN again").fill(easy)
        page.get_by_role("button", name="Save PIN").click()
        expect(errors).to_contain_text("too easy to guess")
    page.get_by_label("New PIN", exact=True).fill("48031")
    page.get_by_role("button", name="Save PIN").click()
    expect(errors).to_contain_text("at least 6 digits")
    page.get_by_label("New PIN", exact=True).fill(PIN)
    page.get_by_label("The new PIN again").fill("480318")
    page.get_by_role("button", name="Save PIN").click()
    expect(errors).to_contain_text("The two PINs differ.")
    assert page.evaluate("location.hash") == "#/pin"
    screenshot(page, "field-pin-set")
    easy = "This PIN is too easy to guess (like 000000, 123456 or 654321). Choose another."
    danish = device.evaluate_module("i18n.js", f"(await m.load('da'), m.t('{easy}'))")
    assert "for let at gætte" in danish
    device.evaluate_module("i18n.js", "await m.load('en')")
    device.set_pin(PIN)


def test_the_pin_unlocks_at_the_next_start_and_can_be_changed(phone):
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.close()
    page = device.open()
    device.start_app(pin=None)
    assert page.evaluate("location.hash") == "#/unlock"
    assert device.evaluate_module("db.js", "m.isUnlocked()") is False
    device.unlock(PIN)

    page.get_by_role("link", name="Menu").click()
    page.get_by_role("link", name="Change PIN").click()
    page.get_by_label("Current PIN").fill("111999")
    page.get_by_label("New PIN", exact=True).fill("593017")
    page.get_by_label("The new PIN again").fill("593017")
    page.get_by_role("button", name="Change PIN").click()
    expect(page.locator(".form-errors")).to_contain_text("The current PIN is wrong.")
    page.get_by_label("Current PIN").fill(PIN)
    page.get_by_role("button", name="Change PIN").click()
    page.wait_for_url(re.compile(r"#/menu$"))

    device.reload(pin=None)
    page.get_by_label("PIN", exact=True).fill(PIN)  # the old one no longer opens
    page.get_by_role("button", name="Unlock", exact=True).click()
    expect(page.locator(".form-errors")).to_contain_text("Wrong PIN")
    device.unlock("593017")
    assert device.evaluate_module("db.js", "m.isUnlocked()") is True


OLD_PHONE = """async ({ user, entries, persons }) => {
  // Schema 3 as the app before issue 13 made it, with its records in clear.
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("outreach-field", 3);
    r.onupgradeneeded = () => {
      const d = r.result;
      const outbox = d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      outbox.createIndex("id", "id");
      d.createObjectStore("clinics", { keyPath: "id" });
      d.createObjectStore("visits", { keyPath: "id" }).createIndex("clinic_id", "clinic_id");
      d.createObjectStore("persons", { keyPath: "id" });
      d.createObjectStore("conversations", { keyPath: "id" }).createIndex("visit_id", "visit_id");
      d.createObjectStore("meta", { keyPath: "key" });
      d.createObjectStore("route_plans", { keyPath: "id" });
      d.createObjectStore("drafts", { keyPath: "key" });
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const tx = db.transaction(["outbox", "persons", "meta"], "readwrite");
  tx.objectStore("meta").put({ key: "user", value: user });
  for (const e of entries) tx.objectStore("outbox").add(e);
  for (const p of persons) tx.objectStore("persons").put(p);
  await new Promise((ok) => (tx.oncomplete = ok));
  db.close();
}"""


def test_an_old_phone_with_clear_records_is_migrated_without_losing_one(phone, in_db, live_server):
    note_marker = f"Oldnotemarker {uuid.uuid4().hex[:8]}"
    alias_marker = unique("Oldaliasmarker")

    def facts():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        clinic = db.session.scalars(
            select(Clinic).where(
                Clinic.organisation_id == nurse.organisation_id, Clinic.status == "active"
            )
        ).first()
        user = {
            "id": str(nurse.id),
            "email": nurse.email,
            "name": nurse.name,
            "role": nurse.role,
            "locale": None,
            "organisation_id": str(nurse.organisation_id),
            "organisation": nurse.organisation.name,
            "regions": [],
        }
        return user, str(clinic.id)

    user, clinic_id = in_db(facts)
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(2)]
    entries = [
        {
            "id": visit_id,
            "kind": "visit",
            "method": "PUT",
            "url": f"/api/v1/visits/{visit_id}",
            "body": {
                "clinic_id": clinic_id,
                "started_at": (now - timedelta(hours=2 - n)).isoformat(),
                "outcome": "admitted",
                "notes": f"{note_marker} {n}",
            },
            "headers": None,
            "refs": [clinic_id],
            "user_id": user["id"],
            "state": "waiting",
            "error": None,
            "attempts": 0,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
        }
        for n, visit_id in enumerate(ids)
    ]
    persons = [{"id": str(uuid.uuid4()), "alias": alias_marker, "nationality": "TH"}]

    device = phone()
    page = device.page
    page.goto(f"{live_server.url}/static/field/field.css")  # the origin, without the app
    page.evaluate(OLD_PHONE, {"user": user, "entries": entries, "persons": persons})
    assert note_marker in "\n".join(line for lines in dump(page).values() for line in lines)

    # The update: the app asks for a full login (its records wait, in clear, meanwhile).
    live_server.faults.statuses.extend([503])  # the first send fails: the sealed copy waits
    device.start_app()
    assert page.evaluate("location.hash") == "#/login"
    expect(page.locator("form.login")).to_contain_text("unlock the data on this phone")
    assert device.evaluate_module("db.js", "(await m.outboxEntries()).length") == 2
    device.log_in()  # then a PIN: the first unlock seals what was in clear

    stores = dump(page)
    everything = "\n".join(line for lines in stores.values() for line in lines)
    assert note_marker not in everything and alias_marker not in everything
    assert device.evaluate_module("db.js", "await m.getMeta('clear_data')") is None
    device.wait_all_sent()

    def arrived():
        rows = db.session.scalars(select(Visit).where(Visit.id.in_([uuid.UUID(i) for i in ids])))
        return sorted(row.notes for row in rows), db.session.scalar(
            select(func.count()).select_from(Visit).where(Visit.id.in_([uuid.UUID(i) for i in ids]))
        )

    notes, count = in_db(arrived)
    assert notes == [f"{note_marker} 0", f"{note_marker} 1"]
    assert count == 2
    assert live_server.faults.statuses == []


def test_a_colleagues_login_keeps_the_first_nurses_sealed_record_for_her(phone, in_db, screenshot):
    """Each nurse has her own data key: a colleague logging in on the same phone can neither
    read nor send the first nurse's unsent visit, and it arrives once at the first nurse's
    next login."""
    from outreach.orgs.models import Organisation
    from tests.conftest import PASSWORD, Factory

    clinic, _ = known_person(in_db, unique("Twoalias"))
    note = f"Twonote {uuid.uuid4().hex[:8]}"

    def colleague():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        org = db.session.get(Organisation, nurse.organisation_id)
        return Factory().user(org, "nurse").email

    other = in_db(colleague)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.go_offline()
    open_clinic(page, clinic)
    visit_id = log_visit(page, admitted=True, note=note)
    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    page.locator("dialog").get_by_role("button", name="Log out, keep them").click()
    page.wait_for_url(re.compile(r"#/login$"))

    device.go_online()
    device.log_in(other, PASSWORD, pin="739102")  # her first login here: her own PIN
    page.get_by_role("link", name="Outbox").click()
    expect(page.locator("main")).to_contain_text("Made by another user")
    expect(page.locator("main")).to_contain_text("Encrypted: only the user who made it")
    assert note not in page.content()
    screenshot(page, "field-outbox-other-user")
    entries = device.outbox()
    assert [(e["id"], e["body"]) for e in entries] == [(visit_id, None)]
    assert server_records(in_db, [{"kind": "visit", "id": visit_id}]) == {}

    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    page.locator("dialog").get_by_role("button", name="Log out, keep them").click()
    page.wait_for_url(re.compile(r"#/login$"))
    device.log_in()  # the first nurse again: her key, by the recovery key; no new PIN
    device.wait_all_sent()

    def arrived():
        count = select(func.count()).select_from(Visit).where(Visit.id == uuid.UUID(visit_id))
        return db.session.scalar(count), db.session.get(Visit, uuid.UUID(visit_id)).notes

    assert in_db(arrived) == (1, note)
