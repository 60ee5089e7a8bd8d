"""Field app browser tests: phones as persistent Chromium profiles, so IndexedDB and the
service worker survive closing and reopening the browser, against the live server of
tests/browsing.py, which can really go away and come back on the same port (the honest way to
be offline: Chromium's offline emulation does not reliably cover service-worker fetches, so we
do both).
"""

import re
import time
import uuid
from pathlib import Path

import pytest

from outreach import demo
from outreach.auth.models import User
from outreach.db import db
from tests.browsing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    SCREENSHOTS,
    SEND_TIMEOUT_MS,
    TIMEOUT_MS,
    LiveServer,
)
from tests.conftest import Factory

NURSE = "nurse@demo.outreach.dk"
PIN = "480317"  # the app PIN every test phone is given at its first login (issue 13)


@pytest.fixture
def playwright_instance(playwright):
    """The session's Playwright (tests/conftest.py)."""
    return playwright


class Phone:
    """One phone: a persistent Chromium profile that can be closed and opened again."""

    def __init__(self, playwright, profile: Path, server: LiveServer, **options):
        self.playwright = playwright
        self.profile = profile
        self.server = server
        self.options = options
        self.context = None
        self.page = None
        self.problems: list[str] = []

    def open(self, offline: bool = False):
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=PHONE,
            locale="en-GB",
            timezone_id="Europe/Copenhagen",
            offline=offline,
            timeout=TIMEOUT_MS * 3,
            **self.options,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.set_default_navigation_timeout(TIMEOUT_MS)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        return self.page

    def _console(self, message):
        text = message.text
        # Failed fetches while offline are expected; CSP violations and other errors are not.
        network_noise = "Failed to load resource" in text or "net::ERR_" in text
        if "Content Security Policy" in text or (message.type == "error" and not network_noise):
            self.problems.append(text)

    def close(self):
        if self.context is not None:
            self.context.close()
            self.context = None
            self.page = None

    def start_app(self, pin: str | None = PIN):
        """Opens the app and waits until its start-up is done; a phone whose app is locked
        (every start after a login) is unlocked with `pin` (None: left locked)."""
        self.page.goto(f"{self.server.url}/field/")
        self.page.wait_for_selector("html[data-ready=true]")
        if pin is not None and self.page.evaluate("location.hash") == "#/unlock":
            self.unlock(pin)
        return self.page

    def reload(self, pin: str | None = PIN):
        """Reloads the app (it starts locked) and unlocks it with `pin` (None: not)."""
        self.page.reload()
        self.page.wait_for_selector("html[data-ready=true]")
        if pin is not None and self.page.evaluate("location.hash") == "#/unlock":
            self.unlock(pin)

    def unlock(self, pin: str = PIN):
        page = self.page
        page.wait_for_selector("form.pin-form")
        page.get_by_label("PIN", exact=True).fill(pin)
        page.get_by_role("button", name="Unlock", exact=True).click()
        page.wait_for_url(re.compile(r"#/(?!unlock$).+$"), timeout=TIMEOUT_MS * 2)

    def log_in(self, email: str = NURSE, password: str = demo.DEMO_PASSWORD, pin: str = PIN):
        """The login form; at the first login on this phone (or after a forgotten PIN) the
        app then asks for a PIN, and gets `pin`."""
        page = self.page
        page.wait_for_selector("form.login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.wait_for_url(re.compile(r"#/(today|pin)$"))
        if page.evaluate("location.hash") == "#/pin":
            self.set_pin(pin)

    def set_pin(self, pin: str = PIN):
        page = self.page
        page.wait_for_selector("form.pin-form")
        page.get_by_label("New PIN", exact=True).fill(pin)
        page.get_by_label("The new PIN again").fill(pin)
        page.get_by_role("button", name="Save PIN").click()
        page.wait_for_url(re.compile(r"#/today$"), timeout=TIMEOUT_MS * 2)

    def wait_until(self, module: str, expression: str, timeout_ms: int = TIMEOUT_MS):
        """Polls an expression over one of the app's modules until it is truthy."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            value = self.evaluate_module(module, expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {module}: {expression}")
            self.page.wait_for_timeout(100)

    def wait_synced(self):
        """Waits for a complete pull and for the service worker to control the page."""
        self.wait_until("db.js", "Boolean(await m.getMeta('last_sync'))", timeout_ms=20_000)
        self.wait_controlled()

    def wait_controlled(self):
        """Waits until the service worker controls the page (its caches are complete then).
        Polled from here: the page's CSP forbids the eval behind wait_for_function."""
        self.wait_until("db.js", "navigator.serviceWorker.controller !== null")

    def go_offline(self):
        self.context.set_offline(True)
        self.server.stop()

    def go_online(self):
        self.server.start()
        self.context.set_offline(False)

    def evaluate_module(self, module: str, expression: str):
        """Runs `expression` with the app's own module `m` (e.g. outbox.js)."""
        script = f"const m = await import('/static/field/{module}'); return {expression};"
        return self.page.evaluate(f"async () => {{ {script} }}")

    def outbox(self) -> list[dict]:
        return self.evaluate_module(
            "db.js",
            "(await m.outboxEntries()).map(e => ({seq: e.seq, id: e.id, kind: e.kind, "
            "state: e.state, body: e.body, error: e.error}))",
        )

    def unsent_pill(self):
        return self.page.locator("header .unsent")

    def wait_all_sent(self, timeout: int = SEND_TIMEOUT_MS):
        """Waits until the outbox is empty and the header says so."""
        self.wait_until("db.js", "(await m.count('outbox')) === 0", timeout_ms=timeout)
        self.page.wait_for_selector("header .unsent.all-sent", timeout=timeout)


@pytest.fixture
def phone(playwright_instance, live_server, tmp_path):
    """phone(**context_options) -> an opened Phone on a fresh profile; closed afterwards."""
    phones = []

    def make(**options):
        profile = tmp_path / f"profile-{len(phones)}"
        device = Phone(playwright_instance, profile, live_server, **options)
        device.open()
        phones.append(device)
        return device

    yield make
    problems = []
    for device in phones:
        problems.extend(device.problems)
        device.close()
    assert not problems, problems


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = False) -> Path:
        """A phone-sized screenshot; the passing notice is hidden so the screen shows."""
        page.evaluate(
            "() => { const n = document.getElementById('notice'); if (n) n.hidden = true; }"
        )
        if full_page:
            page.evaluate("window.scrollTo(0, 0)")
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def nurse_user(in_db):
    return in_db(lambda: db.session.scalar(db.select(User).where(User.email == NURSE)).id)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:4]}"


# Server-side data and phone flows shared by the tests -----------------------------------


def known_person(in_db, alias: str, nationality: str = "TH", birth_year: int = 1994):
    """A person met before at an active clinic (a visit and a conversation 10 days ago), so
    she is in the person index the phone pulls. Returns (clinic, person_id)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from outreach.clinics.models import Clinic

    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        names = select(Clinic.name).group_by(Clinic.name).having(func.count() == 1)
        clinic = db.session.scalars(
            select(Clinic)
            .where(
                Clinic.organisation_id == nurse.organisation_id,
                Clinic.status == "active",
                Clinic.name.in_(names),
            )
            .order_by(Clinic.name)
        ).first()
        factory = Factory()
        visit = factory.visit(
            clinic,
            datetime.now(UTC) - timedelta(days=10),
            staff=[str(nurse.id)],
            created_by_id=nurse.id,
        )
        person = factory.person(
            nurse.organisation,
            alias,
            nationality=nationality,
            birth_year=birth_year,
            created_by_id=nurse.id,
        )
        factory.conversation(person, visit, created_by_id=nurse.id)
        return {"id": str(clinic.id), "name": clinic.name}, str(person.id)

    return in_db(create)


def open_clinic(page, clinic: dict):
    page.goto(page.url.split("#")[0] + "#/today")
    page.get_by_placeholder("Search name, street, town").fill(clinic["name"])
    page.locator(f'a.clinic-row[href="#/clinic/{clinic["id"]}"]').click()
    page.wait_for_url(re.compile(rf"#/clinic/{clinic['id']}$"))


def choose(page, field: str, text: str):
    """Taps the big choice/checklist button `text` of the fieldset for `field`."""
    page.locator(f'fieldset[data-field="{field}"] label').filter(
        has_text=re.compile(rf"^\W*{re.escape(text)}$")
    ).click()


def log_visit(page, *, admitted=True, reason=None, supplies=None, concern=None, note=None):
    """From a clinic screen: Log visit, fill, Save. Returns the visit id (from the URL)."""
    page.get_by_role("link", name="Log visit").click()
    page.wait_for_selector("form.visit-form")
    choose(page, "outcome", "Admitted" if admitted else "Not admitted")
    if reason:
        choose(page, "not_admitted_reason", reason)
    for code, count in (supplies or {}).items():
        page.locator(f'[data-field="supply:{code}"] input').fill(str(count))
    if concern:
        choose(page, "concern_level", concern)
    if note:
        page.get_by_label("Note", exact=True).fill(note)
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def start_conversation(page, alias: str):
    page.get_by_role("link", name="Add conversation").click()
    page.wait_for_selector("form.conversation-form")
    page.get_by_label("Alias (work name as she gives it)").fill(alias)


def save_conversation(page, topics=("Health advice",)):
    for topic in topics:
        choose(page, "topics", topic)
    page.get_by_role("button", name="Save conversation").click()
    page.wait_for_url(re.compile(r"#/(visit/[0-9a-f-]{36}|conversations)$"))


def new_person(page, *, gender="Woman", languages=("Thai",)):
    page.locator("button.new-person-button").click()
    choose(page, "gender", gender)
    for language in languages:
        choose(page, "languages", language)


def server_records(in_db, entries: list[dict]) -> dict:
    """{id: row as dict} for the outbox entries' ids, read from the live server's database."""
    from outreach.clinics.models import Clinic
    from outreach.persons.models import Conversation, Person
    from outreach.visits.models import Visit

    models = {"visit": Visit, "person": Person, "conversation": Conversation, "clinic": Clinic}

    def read():
        found = {}
        for entry in entries:
            row = db.session.get(models[entry["kind"]], uuid.UUID(entry["id"]))
            if row is not None:
                found[entry["id"]] = {c.name: getattr(row, c.name) for c in row.__table__.columns}
        return found

    return in_db(read)
