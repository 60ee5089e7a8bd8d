"""The field visit as a trained nurse does it, counted and timed (not part of the test run).

The path (issue 10, item 11): from Today, open the clinic the list puts first, log a visit:
admitted, 2 persons present, the organisation's usual supplies (USUAL_PACK: condoms,
lubricant, a test), concern yellow with one indicator, save; a conversation with a person the
phone knows (the alias typed, her suggestion tapped), a topic, save; a conversation with a new
person (alias, nationality, birth year), a topic, save; done. The phone is offline from the
first tap (Chromium's offline mode and the server stopped): everything goes to the outbox.

Counted, as a trained user meets them on a 390 × 844 screen:

- **taps**: every click or tap, including the tap into a text field that is not focused
  already, and two for a native select (open it, pick the option);
- **typed characters**: every key, including a backspace to clear a field's old value;
- **scrolled pixels**: before each tap, how far the page must scroll to bring the target
  into the visible band: below the sticky top bar, above the bottom navigation and, for a
  target outside it, above the form's sticky save bar. The script scrolls by that amount;
- **the on-screen keyboard**: while a text or number field has the focus, the keyboard
  covers the bottom 300 px of the screen, the bottom navigation and the save bar with it (as
  Chrome on Android and Safari on iOS do); a target behind it costs one more tap (the
  keyboard's hide key), a target above it in the page is scrolled to.

The time of a trained user is modelled as

    seconds = app time + 1.2 s × taps + 0.25 s × typed characters + 1 s × screens scrolled

where *app time* is the measured wall-clock time of the whole path in the browser (screens
drawn, records written to IndexedDB; the driver's own overhead included, so it errs long),
1.2 s per tap is finding and reaching the target (thinking included), 0.25 s per character
is thumb typing, and a screen scrolled is 844 px. Target: at most 25 taps and 60 s, and
no scrolling; the script exits 1 above 25 taps or 60 s.

It migrates a throwaway SQLite database, loads the demo, serves the app on 127.0.0.1 and logs
the demo nurse in with Debian's Chromium, as the browser tests do:

    .venv/bin/python benchmarks/field_visit.py [--screenshots DIR] [--headed]

tests/field/test_field_visit_path.py runs the same path (`visit_path`) against the test
server. Results: docs/performance.md, "## The field visit".
"""

import argparse
import re
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWPORT = {"width": 390, "height": 844}
CHROMIUM = "/usr/bin/chromium"  # Debian's package, as the browser tests use
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NURSE = "nurse@demo.outreach.dk"
PIN = "480317"

TAP_SECONDS = 1.2
CHAR_SECONDS = 0.25
SCREEN_SCROLL_SECONDS = 1.0
MAX_TAPS = 25
MAX_SECONDS = 60

# What the team hands out on an ordinary admitted visit: the demo organisation's usual pack,
# which the visit form fills in with one tap.
USUAL_PACK = {"condoms": 50, "lubricant": 10, "sti_test": 1}
NEW_PERSON = {"alias": "Kanya", "nationality": "TH", "birth_year": "1996"}
TOPIC = "health_advice"


@dataclass
class Figures:
    taps: int = 0
    typed: int = 0
    scrolled: int = 0
    app_seconds: float = 0.0
    steps: list = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return (
            self.app_seconds
            + TAP_SECONDS * self.taps
            + CHAR_SECONDS * self.typed
            + SCREEN_SCROLL_SECONDS * self.scrolled / VIEWPORT["height"]
        )

    def summary(self) -> str:
        return (
            f"taps {self.taps}, typed characters {self.typed}, scrolled {self.scrolled} px "
            f"({self.scrolled / VIEWPORT['height']:.1f} screens), app time "
            f"{self.app_seconds:.1f} s, modelled time {self.seconds:.1f} s"
        )


# While a text field has the focus, the on-screen keyboard covers the bottom of the screen, and
# with it the bottom navigation and the save bar (Chrome on Android and Safari on iOS keep
# fixed elements in the layout viewport, behind the keyboard).
KEYBOARD_PX = 300
_KEYBOARD_OPEN = """() => {
  const el = document.activeElement;
  if (!el) return false;
  if (el.tagName === "TEXTAREA") return true;
  return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type);
}"""

# How far the page must scroll to bring an element into the band the nurse can tap; null when
# no scrolling can (the element is fixed behind the keyboard).
_NEEDED_SCROLL = """([el, keyboard]) => {
  const visible = (node) => node && !node.hidden && node.getBoundingClientRect().height > 0;
  let top = 0;
  for (const sel of ["header.topbar", ".banners"]) {
    const node = document.querySelector(sel);
    if (visible(node)) top = Math.max(top, node.getBoundingClientRect().bottom);
  }
  const pinned = el.closest(".save-bar, nav.bottom-nav");
  let bottom = window.innerHeight;
  if (keyboard) {
    bottom -= keyboard;
    if (pinned) return el.getBoundingClientRect().bottom > bottom ? null : 0;
  } else {
    const nav = document.querySelector("nav.bottom-nav");
    if (visible(nav) && !nav.contains(el)) {
      bottom = Math.min(bottom, nav.getBoundingClientRect().top);
    }
    const bar = el.closest("form") && el.closest("form").querySelector(".save-bar");
    if (visible(bar) && !bar.contains(el)) {
      // The bar's top padding is a fade; a target is hidden once it is under the button.
      const button = bar.querySelector("button");
      bottom = Math.min(bottom, (button || bar).getBoundingClientRect().top);
    }
  }
  const r = el.getBoundingClientRect();
  if (r.top < top) return r.top - top;
  if (r.bottom > bottom) return Math.min(r.bottom - bottom, r.top - top);
  return 0;
}"""


class TrainedUser:
    """Drives the page as a nurse would, counting taps, keys and scrolling."""

    def __init__(self, page, screenshots: Path | None = None):
        self.page = page
        self.figures = Figures()
        self.screenshots = screenshots
        self.shots = 0
        self.paused = 0.0  # seconds spent on screenshots, not the app's

    def _reach(self, locator):
        locator.wait_for(state="visible")
        keyboard = KEYBOARD_PX if self.page.evaluate(_KEYBOARD_OPEN) else 0
        needed = locator.evaluate(f"(el) => ({_NEEDED_SCROLL})([el, {keyboard}])")
        if needed is None:
            # Behind the keyboard: one tap on the keyboard's hide key.
            self.page.evaluate("document.activeElement.blur()")
            self.figures.taps += 1
            self.figures.steps.append("tap the keyboard's hide key")
            needed = locator.evaluate(f"(el) => ({_NEEDED_SCROLL})([el, 0])")
        if needed:
            self.shoot(f"before-scroll-{self.figures.taps + 1:02}")
            before = self.page.evaluate("window.scrollY")
            self.page.evaluate(f"window.scrollBy(0, {needed})")
            moved = abs(self.page.evaluate("window.scrollY") - before)
            self.figures.scrolled += round(moved)
            self.figures.steps.append(f"scroll {round(moved)} px")

    def shoot(self, name: str):
        """A screenshot when asked for (its time not counted)."""
        if not self.screenshots:
            return
        taken = time.perf_counter()
        self.shots += 1
        self.page.screenshot(path=str(self.screenshots / f"visit-{self.shots:02}-{name}.png"))
        self.paused += time.perf_counter() - taken

    def tap(self, locator, what: str):
        self._reach(locator)
        locator.click()
        self.figures.taps += 1
        self.figures.steps.append(f"tap {what}")

    def type(self, locator, text: str, what: str):
        focused = locator.evaluate("(el) => document.activeElement === el")
        if not focused:
            self.tap(locator, what)
        old = locator.input_value()
        if old:
            locator.fill("")
        locator.press_sequentially(text)
        self.figures.typed += len(old) + len(text)
        self.figures.steps.append(f"type {what} ({len(old)} deleted, {len(text)} typed)")

    def pick(self, select, value: str, what: str):
        """A native select: one tap opens the picker, one picks the option."""
        self._reach(select)
        select.select_option(value)
        self.figures.taps += 2
        self.figures.steps.append(f"pick {what} (2 taps)")

    def count(self, stepper, wanted: int, what: str):
        """A stepper: "+"/"−" for a small change, else the number typed."""
        box = stepper.locator("input")
        current = int(box.input_value() or 0)
        delta = wanted - current
        if abs(delta) <= 3:
            button = stepper.locator("button.step").nth(1 if delta > 0 else 0)
            for _ in range(abs(delta)):
                self.tap(button, f"{what} {'+' if delta > 0 else '−'}")
        else:
            self.type(box, str(wanted), what)


def screen(user, name: str):
    """Waits for the screen `name`; a screenshot of it when asked (its time not counted)."""
    user.page.wait_for_selector(f'main[data-screen="{name}"]')
    user.shoot(name)


def label_of(page, fieldset: str, value: str):
    return page.locator(f'fieldset[data-field="{fieldset}"] label:has(input[value="{value}"])')


def visit_path(page, known: dict, new_person: dict = NEW_PERSON, screenshots=None):
    """The path, from the Today screen of a logged-in phone. `known`: {"alias", "id"} of a person
    the phone holds. Returns the Figures; the records are in the phone's outbox."""
    user = TrainedUser(page, screenshots)
    started = time.perf_counter()
    screen(user, "today")
    user.tap(page.locator("main a.clinic-row").first, "the first clinic")
    screen(user, "clinic")
    user.tap(page.locator('main a[href$="/visit"]'), "Log visit")
    screen(user, "visit-form")
    user.tap(label_of(page, "outcome", "admitted"), "Admitted")
    user.count(page.locator('[data-field="persons_present"]'), 2, "persons present")
    user.tap(page.locator("button.supply-pack"), "Usual pack")
    user.tap(label_of(page, "concern_level", "yellow"), "concern yellow")
    user.tap(page.locator('fieldset[data-field="indicators"] label').first, "an indicator")
    user.tap(page.locator("form.visit-form .save-bar button[type=submit]"), "Save visit")
    screen(user, "visit")

    # A person the phone knows: her alias, her card.
    user.tap(page.locator('main a[href$="/conversation"]'), "Add conversation")
    screen(user, "conversation-form")
    user.type(page.locator('input[name="alias"]'), known["alias"], "alias")
    user.tap(page.locator(f'button.suggestion[data-person-id="{known["id"]}"]'), "her card")
    user.tap(label_of(page, "topics", TOPIC), "a topic")
    user.tap(page.locator("form.conversation-form .save-bar button[type=submit]"), "Save")
    screen(user, "visit")

    # A new person: alias, nationality, birth year.
    user.tap(page.locator('main a[href$="/conversation"]'), "Add conversation")
    screen(user, "conversation-form")
    user.type(page.locator('input[name="alias"]'), new_person["alias"], "alias")
    user.pick(page.locator('select[name="nationality"]'), new_person["nationality"], "nationality")
    user.type(page.locator('input[name="birth_year"]'), new_person["birth_year"], "birth year")
    user.tap(page.locator("button.new-person-button"), "New person")
    user.tap(label_of(page, "topics", TOPIC), "a topic")
    user.tap(page.locator("form.conversation-form .save-bar button[type=submit]"), "Save")
    screen(user, "visit")
    user.tap(page.locator('main a.button[href="#/today"]'), "Done")
    screen(user, "today")
    user.figures.app_seconds = time.perf_counter() - started - user.paused
    return user.figures


def outbox(page) -> list[dict]:
    return page.evaluate(
        """async () => {
          const db = await import('/static/field/db.js');
          return (await db.outboxEntries()).map(e => ({kind: e.kind, id: e.id, body: e.body}));
        }"""
    )


def check_records(entries: list[dict], known: dict, new_person: dict = NEW_PERSON) -> list[str]:
    """What is wrong with the outbox after the path (empty: it holds what the path made)."""
    problems = []
    kinds = [e["kind"] for e in entries]
    if sorted(kinds) != ["conversation", "conversation", "person", "visit"]:
        return [f"the outbox holds {kinds}"]
    visit = next(e for e in entries if e["kind"] == "visit")
    person = next(e for e in entries if e["kind"] == "person")
    talks = [e["body"] for e in entries if e["kind"] == "conversation"]
    body = visit["body"]
    wanted = {"outcome": "admitted", "persons_present": 2, "concern_level": "yellow"}
    for key, value in wanted.items():
        if body.get(key) != value:
            problems.append(f"visit {key}: {body.get(key)!r}, not {value!r}")
    if body.get("supplies") != USUAL_PACK:
        problems.append(f"visit supplies: {body.get('supplies')}")
    if len(body.get("indicators") or []) != 1:
        problems.append(f"visit indicators: {body.get('indicators')}")
    if {t["visit_id"] for t in talks} != {visit["id"]}:
        problems.append("a conversation is not in the visit")
    if {t["person_id"] for t in talks} != {known["id"], person["id"]}:
        problems.append("the conversations are not with the known and the new person")
    if any(t["topics"] != [TOPIC] for t in talks):
        problems.append("a conversation lost its topic")
    expected = {
        "alias": new_person["alias"],
        "nationality": new_person["nationality"],
        "birth_year": int(new_person["birth_year"]),
    }
    for key, value in expected.items():
        if person["body"].get(key) != value:
            problems.append(f"new person {key}: {person['body'].get(key)!r}")
    return problems


def pick_known_person(page) -> dict:
    """A person on the phone whose alias no one else has (the nurse knows whom she meets)."""
    return page.evaluate(
        """async () => {
          const db = await import('/static/field/db.js');
          const persons = (await db.getAll('persons')).filter(p => !p.merged_into_id);
          const count = new Map();
          for (const p of persons) {
            const key = p.alias.toLowerCase();
            count.set(key, (count.get(key) || 0) + 1);
          }
          const unique = persons
            .filter(p => count.get(p.alias.toLowerCase()) === 1 && p.last_met_at)
            .sort((a, b) => a.alias.localeCompare(b.alias));
          const p = unique[0];
          return {alias: p.alias, id: p.id};
        }"""
    )


def wait_for(page, expression: str, seconds: float = 30):
    """Polls `expression` over db.js (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + seconds
    script = (
        f"async () => {{ const m = await import('/static/field/db.js'); return {expression}; }}"
    )
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def set_pin(page, pin: str = PIN):
    """After the first login on a phone: the app PIN (issue 13), then Today."""
    page.wait_for_url(re.compile(r"#/pin$"))
    page.fill('form.pin-form input[name="pin"]', pin)
    page.fill('form.pin-form input[name="pin_again"]', pin)
    page.locator("form.pin-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"#/today$"), timeout=30_000)


def unlock(page, pin: str = PIN):
    page.wait_for_url(re.compile(r"#/unlock$"))
    page.fill('form.pin-form input[name="pin"]', pin)
    page.locator("form.pin-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"#/today$"), timeout=30_000)


def serve():
    """The app on a throwaway SQLite database with the demo, on a free port of 127.0.0.1."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from outreach import create_app, demo
    from outreach.db import db

    app = create_app(
        {
            "OUTREACH_ENV": "development",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/field-visit.sqlite3",
            "GEOCODER": "none",
            "SESSION_COOKIE_SECURE": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        upgrade()
        demo.load()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshots", type=Path, help="save a screenshot of every screen here")
    parser.add_argument("--headed", action="store_true")
    parser.add_argument("--steps", action="store_true", help="print every counted action")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from outreach.demo import DEMO_PASSWORD

    server, url = serve()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=not args.headed,
            viewport=VIEWPORT,
            locale="da-DK",
            timezone_id="Europe/Copenhagen",
        )
        context.set_default_timeout(15_000)
        page = context.pages[0] if context.pages else context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/field/")
        page.wait_for_selector("html[data-ready=true]")
        page.fill('input[name="email"]', NURSE)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        page.locator("form.login button[type=submit]").click()
        set_pin(page)
        wait_for(page, "Boolean(await m.getMeta('last_sync'))")
        wait_for(page, "navigator.serviceWorker.controller !== null")
        known = pick_known_person(page)
        context.set_offline(True)
        server.shutdown()
        page.reload()
        page.wait_for_selector("html[data-ready=true]")
        unlock(page)  # the app starts locked (issue 13); the PIN is not part of the path
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
        figures = visit_path(page, known, screenshots=args.screenshots)
        problems = check_records(outbox(page), known) + errors
        context.close()

    if args.steps:
        print("\n".join(figures.steps))
    print(figures.summary())
    if problems:
        print("The records are wrong:", *problems, sep="\n  ")
        return 2
    if figures.taps > MAX_TAPS or figures.seconds > MAX_SECONDS:
        print(f"Above the target of {MAX_TAPS} taps and {MAX_SECONDS} s.")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
