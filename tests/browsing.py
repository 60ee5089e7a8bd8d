"""What every browser test shares (a pytest plugin, loaded by tests/conftest.py): Debian's
Chromium and its flags, a phone's screen, timeouts, the one Playwright and browser of the run,
and the one live server: a real HTTP server on 127.0.0.1 with its own database and the demo
loaded, that can really go away and come back on the same port (the honest way to be offline
for the field app) and play faults the tests order. Nothing leaves 127.0.0.1: every other
request, such as map tiles, is aborted, so the tests behave the same offline.

A test that changes data other browser tests rely on makes its own (an organisation of its
own, say) instead of starting a second server.
"""

import re
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from outreach import demo
from outreach.auth import second_factor
from outreach.auth.queries import find_users_by_email
from outreach.db import db
from tests.conftest import TOTP_CLOCK, database_url, make_app

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never Playwright's own download
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000  # every wait: a broken page fails fast instead of hanging the suite
SEND_TIMEOUT_MS = 20_000  # the outbox drains within this once the server is back
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
NOT_LOCAL = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).+")  # requests that are aborted


class OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: no keep-alive connection outlives a server shutdown, so "offline" is real."""

    protocol_version = "HTTP/1.0"

    def log_request(self, *args, **kwargs):
        pass


class Faults:
    """Trouble the tests can order for the next writes to /api/: an HTTP status answered
    instead of running the app, or an answer lost after the app stored the record; and pulls
    held back: the answers to GET /api/v1/sync wait, already read, until released (a slow
    network)."""

    def __init__(self):
        self.statuses: list[int] = []
        self.lose_answers = 0
        self.lock = threading.Lock()
        self.hold_pulls = False
        self.pull_held = threading.Event()  # an answer is read and waits
        self.pulls_released = threading.Event()

    def release_pulls(self):
        self.hold_pulls = False
        self.pulls_released.set()

    def clear(self):
        with self.lock:
            self.statuses.clear()
            self.lose_answers = 0
        self.release_pulls()
        self.pull_held.clear()
        self.pulls_released.clear()


class AnswerLost(ConnectionError):
    """Raised after the app answered: werkzeug drops the connection, the phone sees none."""


def buffered(app, faults: Faults):
    """Reads each answer whole before sending it, so a phone dropping a connection mid-file
    (a closed browser, a lost server) leaves no open file behind (ResourceWarning); and plays
    the ordered faults."""

    def serve(environ, start_response):
        write = environ["REQUEST_METHOD"] == "PUT" and environ["PATH_INFO"].startswith("/api/")
        if write:
            with faults.lock:
                status = faults.statuses.pop(0) if faults.statuses else None
            if status is not None:
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                body = b'{"code": %d, "message": "Ordered by the test."}' % status
                headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
                start_response(f"{status} Trouble", headers)
                return [body]
        answer = app(environ, start_response)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        pull = environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/api/v1/sync"
        if pull and faults.hold_pulls:
            faults.pull_held.set()
            faults.pulls_released.wait(timeout=SEND_TIMEOUT_MS / 1000)
        if write:
            with faults.lock:
                lose = faults.lose_answers > 0
                faults.lose_answers -= int(lose)
            if lose:
                raise AnswerLost()
        return [body]

    return serve


class LiveServer:
    """A werkzeug server for the app that can stop and start again on the same port."""

    def __init__(self, app, port: int):
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server = None
        self._thread = None
        self.faults = Faults()

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = make_server(
            "127.0.0.1",
            self.port,
            buffered(self.app, self.faults),
            threaded=True,
            request_handler=OneRequestPerConnection,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="live-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        self._server = None
        self._thread = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def playwright():
    """The one sync Playwright of the run (only one can run in a thread)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it as root, or run "
            "`apt-get install chromium`."
        )
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS * 3
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def _live_server(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "live"))
    with app.app_context():
        upgrade()
        demo.load()
        db.session.commit()
        db.session.remove()
    server = LiveServer(app, _free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_server(_live_server):
    """The live server, running and without faults at the start of every test whatever the
    last one did."""
    _live_server.start()
    _live_server.faults.clear()
    yield _live_server
    _live_server.faults.clear()
    _live_server.start()


@pytest.fixture
def in_db(_live_server):
    """in_db(fn): runs fn() in an app context on the live server's database; commits."""

    def run(fn):
        with _live_server.app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    return run


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page in a fresh context; fails the test on a CSP violation."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"JavaScript error: {error}"))
    yield page
    context.close()
    assert not violations, violations


@pytest.fixture
def screenshot():
    """take(page, name): a screenshot (full page unless told) under test-artifacts/screenshots/
    (git-ignored), to look at after the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def next_code(app, email: str) -> str:
    """The next code of the authenticator of the account `email` on the live server's
    database (tests/conftest.py TOTP_CLOCK: one step later at each login)."""
    with app.app_context():
        try:
            (user,) = [u for u in find_users_by_email(email) if second_factor.is_enrolled(u)]
            return TOTP_CLOCK.next_code(user)
        finally:
            db.session.remove()  # outside a request SQLite's transaction holds the write lock


def form_log_in(page, app, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    """Through the login form, and its code step when the account has a second factor (the
    demo's coordinators and admin)."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    if urlsplit(page.url).path == "/login/code":
        page.get_by_label("Code").fill(next_code(app, email))
        page.locator("form button[type=submit].primary").click()
    # Where a login lands depends on the role (nurses: the field app; admins: the users).
    page.wait_for_url(lambda url: urlsplit(url).path not in ("/login", "/login/code"))


@pytest.fixture
def log_in(live_server):
    """log_in(page, email): through the login form, with the demo password (and the code)."""

    def _log_in(page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
        form_log_in(page, live_server.app, email, password)

    return _log_in
