"""Fixtures: one migrated database per run, a rolled-back transaction per test, one client per
actor, and factories for data. The browser tests' fixtures are in tests/browsing.py.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL is set
(`make test-postgres`). It is built by the migrations, never by create_all.
"""

import base64
import os
import re
import time as _time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection, text

from outreach import create_app
from outreach.auth import second_factor
from outreach.auth.services import create_user
from outreach.changes import number_marked_rows, stamp
from outreach.db import db
from outreach.geo import LocalGeocoder
from outreach.orgs.services import create_organisation

# Chromium, the live server and the page fixtures of the browser tests.
pytest_plugins = ["tests.browsing"]

PASSWORD = "correct horse battery staple"
TEST_DATA_KEYS = (
    "t1:"
    + base64.b64encode(b"t1-test-data-key-32-bytes-long!!").decode()
    + ",t0:"
    + base64.b64encode(b"t0-older-test-data-key-32-bytes!").decode()
)
TEST_LOOKUP_KEY = base64.b64encode(b"test-lookup-key-of-32-bytes-long").decode()
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
PLACES = {
    "Vestergade 3, 8000 Aarhus C, Danmark": (56.1570, 10.2040),
    "Algade 10, 9000 Aalborg, Danmark": (57.0480, 9.9190),
    "Skomagergade 5, 4000 Roskilde, Danmark": (55.6420, 12.0810),
}


def database_url(tmp_path_factory, name: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp(name) / "test.sqlite3")
    if name == "main":
        return url
    # A separate PostgreSQL database for tests that need real commits (live server, jobs).
    from sqlalchemy import create_engine

    base = url.rsplit("/", 1)[0]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    db_name = f"outreach_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return f"{base}/{db_name}"


class TotpClock:
    """The second factor's clock for the whole run (second_factor.clock): real time at the
    start, moved on by one time step by each login the test helpers make, so that a user who
    logs in twice in a test gives two codes, each of a later step than the last (the same code
    twice is refused, as it must be; tests of that move or set the clock themselves)."""

    def __init__(self):
        self.now = _time.time()

    def __call__(self) -> float:
        return self.now

    def next_code(self, user) -> str:
        """The code of the user's authenticator one step later than the last one given."""
        factor = second_factor.enrolled_factor(user)
        assert factor is not None, f"{user.email} has no second factor"
        self.now += second_factor.STEP_SECONDS
        return second_factor.code_at(factor, self.now)


TOTP_CLOCK = TotpClock()


@pytest.fixture(scope="session", autouse=True)
def _totp_clock():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(second_factor, "clock", TOTP_CLOCK)
        yield TOTP_CLOCK


def login_body(user, password=None) -> dict:
    """The JSON login of `user`, with a fresh code when the account has a second factor."""
    body = {"email": user.email, "password": PASSWORD if password is None else password}
    # (A stand-in with an email only, from a test with apps of its own, has no factor.)
    if getattr(user, "id", None) is not None and second_factor.is_enrolled(user):
        body["totp_code"] = TOTP_CLOCK.next_code(user)
    return body


def second_step(client, response, email: str, code: str | None = None):
    """After a login form's answer: when it asks for the code (/login/code), give it (the
    account's next code unless `code` is given) and return that answer; else the answer."""
    from outreach.auth.queries import find_users_by_email

    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith("/login/code"):
        return response
    html = client.get(location).get_data(as_text=True)
    if code is None:
        (user,) = [u for u in find_users_by_email(email) if second_factor.is_enrolled(u)]
        code = TOTP_CLOCK.next_code(user)
    return client.post(location, data={"csrf_token": csrf_token_from(html), "code": code})


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, so `g` (where Flask-Login keeps the user) is
    never shared between two clients of one test, even though the test keeps a context open."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(url: str, **overrides):
    config = {
        "OUTREACH_ENV": "testing",
        "TEST_SUITE": True,  # the testing environment refuses to start without it
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-000",
        "DATABASE_URL": url,
        "GEOCODER": LocalGeocoder(PLACES),
        "RATELIMIT_ENABLED": True,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_PROFILE": "test",  # still Argon2id, at the lowest cost
        # Tests read the English source strings; test_i18n checks that Danish is the default.
        "DEFAULT_LOCALE": "en",
        # A query on tenant rows built without tenancy.scoped() fails the test that runs it.
        "TENANCY_GUARD": "raise",
        # Its rolled-back savepoints give a change number out twice (persons/queries.py).
        "PERSON_INDEX_CACHE": False,
        # The suite's own encryption keys (outreach/crypto.py): two data keys, "t1" active.
        "DATA_KEYS": TEST_DATA_KEYS,
        "LOOKUP_KEY": TEST_LOOKUP_KEY,
    }
    config.update(overrides)
    if config["OUTREACH_ENV"] == "production":
        config.pop("PASSWORD_HASH_PROFILE")  # production refuses the test profile
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    # Each process's memory: a count in the database would be written on the test's one
    # connection, inside the request's savepoint, and a request that rolls back would take it
    # along. The database store is tested on a database of its own (tests/test_throttle.py).
    app = make_app(database_url(tmp_path_factory, "main"), RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        upgrade()
    from outreach.extensions import limiter

    # Flask-Limiter keeps one storage per Limiter, the last app's: tests that make apps of
    # their own replace it, and the `app` fixture puts this one back.
    app.extensions["test_limiter_state"] = (limiter._storage, limiter._limiter)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def rolled_back(app):
    """An app context whose writes are all rolled back at its end: the session works on one
    connection in a transaction, and its commits only release savepoints. Inside another
    rolled_back() (data built once for a module or class), it works on a savepoint of that
    one, so each test starts from the data built and leaves it as it was."""
    with app.app_context():
        engines = db.engines
        outer = engines[None]
        if isinstance(outer, Connection):
            connection, transaction = outer, outer.begin_nested()
        else:
            connection = outer.connect()
            transaction = connection.begin()
        engines[None] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield
        finally:
            db.session.remove()
            transaction.rollback()
            if connection is not outer:
                connection.close()
            engines[None] = outer


@pytest.fixture
def app(_app):
    """The app, with everything a test writes rolled back afterwards."""
    from outreach.extensions import limiter

    with rolled_back(_app):
        _app.extensions["geocoder"] = LocalGeocoder(PLACES)
        limiter._storage, limiter._limiter = _app.extensions["test_limiter_state"]
        limiter.reset()
        yield _app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Test data with sensible defaults, made without the API; every method flushes, none
    commits. Rows the phone keeps are stamped with the organisation's next change number, as
    every write is, so the pull sends them."""

    def __init__(self):
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def organisation(self, name=None, regions=("midtjylland", "nordjylland", "sjaelland")):
        return create_organisation(
            name or f"Org {self._next()} {uuid.uuid4().hex[:6]}", list(regions)
        )

    def user(self, org, role="nurse", email=None, password=PASSWORD, second_factor_on=None):
        """A user; coordinators and admins have a second factor set up (as they must), others
        when `second_factor_on` says so."""
        email = email or f"{role}{self._next()}-{uuid.uuid4().hex[:6]}@example.org"
        user = create_user(org, email, password, role)
        if second_factor_on if second_factor_on is not None else role != "nurse":
            second_factor.enrol_directly(user, actor_note="test")
        return user

    def clinic(self, org, **fields):
        from outreach.clinics.models import Clinic

        values = {
            "kind": "massage_clinic",
            "name": f"Clinic {self._next()}",
            "address": "Vestergade 3",
            "postcode": "8000",
            "city": "Aarhus C",
            "lat": 56.157,
            "lon": 10.204,
            "region_slug": "midtjylland",
            "region_source": "postcode",
            "status": "active",
            "source": "registry",
            "geocode_status": "manual",
            "opening_hours": {
                d: [["10:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        }
        values.update(fields)
        return self._stamped(Clinic(organisation_id=org.id, **values))

    def visit(self, clinic, started_at, **fields):
        from outreach.visits.models import Visit

        values = {"outcome": "admitted", "supplies": {}}
        values.update(fields)
        visit = Visit(
            organisation_id=clinic.organisation_id,
            clinic_id=clinic.id,
            started_at=started_at,
            **values,
        )
        return self._stamped(visit)

    def person(self, org, alias=None, **fields):
        from outreach.persons.models import Person

        person_id = fields.pop("id", None) or uuid.uuid4()
        values = {"alias": alias or f"Person {self._next()}", "languages": []}
        values.update(fields)
        return self._stamped(
            Person(id=person_id, canonical_id=person_id, organisation_id=org.id, **values)
        )

    def conversation(self, person, visit=None, occurred_at=None, **fields):
        """In `visit` (at its start) or outside visits by phone at `occurred_at`."""
        from outreach.persons.models import Conversation

        values = {
            "channel": "visit" if visit else "phone",
            "occurred_at": occurred_at or visit.started_at,
            "occurred_at_given": occurred_at is not None,
        }
        values.update(fields)
        return self._stamped(
            Conversation(
                organisation_id=person.organisation_id,
                person_id=person.id,
                visit_id=visit.id if visit else None,
                **values,
            )
        )

    def route_plan(self, org, routes, day=None, status="saved", **fields):
        """A plan as a coordinator saved it, without the solver: `routes` is a list of
        (nurse, clinics), the nurse None in a draft; each route leaves at 10:00 and reaches its
        clinics at 11:00, 13:00, ... (Copenhagen time) on `day` (today unless given)."""
        from outreach.routing.models import PlannedRoute, RoutePlan, RouteStop

        day = day or datetime.now(COPENHAGEN).date()
        start = datetime.combine(day, time(10), tzinfo=COPENHAGEN)
        values = {
            "date": day,
            "status": status,
            "base_name": "Aarhus",
            "base_lat": 56.1567,
            "base_lon": 10.2108,
            "shift_start": "10:00",
            "shift_end": "18:00",
            "nurse_count": len(routes),
            "staff": [str(nurse.id) for nurse, _ in routes if nurse],
            "clinic_ids": [str(c.id) for _, clinics in routes for c in clinics],
        }
        values.update(fields)
        plan = RoutePlan(id=uuid.uuid4(), organisation_id=org.id, **values)
        for position, (nurse, clinics) in enumerate(routes):
            route = PlannedRoute(
                id=uuid.uuid4(),
                position=position,
                nurse_id=nurse.id if nurse else None,
                start_at=start,
                end_at=start + timedelta(hours=6),
                distance_km=84.0,
                drive_minutes=95.0,
            )
            for i, clinic in enumerate(clinics):
                arrival = start + timedelta(hours=1 + 2 * i)
                route.stops.append(
                    RouteStop(
                        id=uuid.uuid4(),
                        position=i,
                        clinic_id=clinic.id,
                        reached_at=arrival,
                        arrival_at=arrival,
                        departure_at=arrival + timedelta(minutes=40),
                    )
                )
            plan.routes.append(route)
        return self._stamped(plan)

    def lead(self, org, **fields):
        """A screened ad, last seen now unless given, with its first sighting."""
        from outreach.leads.models import Lead, LeadSighting

        seen = fields.pop("last_seen", None) or datetime.now(UTC)
        values = {
            "site": "Annoncesiden",
            "url": f"https://annoncer.example/ad/{self._next()}",
            "first_seen": seen,
            "last_seen": seen,
            "flags": [],
            "languages": [],
        }
        values.update(fields)
        lead = self._stamped(Lead(organisation_id=org.id, **values))
        db.session.add(
            LeadSighting(
                organisation_id=org.id,
                lead_id=lead.id,
                seen_at=seen,
                site=lead.site,
                flags=list(lead.flags),
            )
        )
        db.session.flush()
        return lead

    @staticmethod
    def _stamped(row):
        stamp(row)
        db.session.add(row)
        number_marked_rows(db.session())  # numbered now, as a commit would number it
        db.session.flush()
        return row


@pytest.fixture
def factory(app):
    return Factory()


@pytest.fixture
def org(factory):
    return factory.organisation()


@pytest.fixture
def other_org(factory):
    return factory.organisation(regions=("syddanmark",))


def assert_envelope(response, code: int) -> dict:
    """Every error answer of the API: {"code", "message"[, "errors"][, "reason"]} and nothing
    else; a `reason` only on a 401 or a refused CSRF token (400), DESIGN.md §4."""
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    payload = response.json
    assert payload["code"] == code
    assert isinstance(payload["message"], str) and payload["message"]
    assert set(payload) <= {"code", "message", "errors", "reason"}
    assert "reason" not in payload or code in (400, 401)
    return payload


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


class ActorClient:
    """A logged-in test client that sends the CSRF token with every write."""

    def __init__(self, app, user, body=None):
        """`body`: the login's JSON, when made beforehand (login_body(user) by default)."""
        self.user = user
        self.client = app.test_client()
        if body is None and has_app_context():
            body = login_body(user)
        elif body is None:  # a test of an app of its own, outside its context
            with app.app_context():
                body = login_body(user)
        response = self.client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.csrf = response.json["csrf_token"]

    def _headers(self, headers):
        return {"X-CSRFToken": self.csrf, **(headers or {})}

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, *args, headers=None, **kwargs):
        return self.client.post(*args, headers=self._headers(headers), **kwargs)

    def put(self, *args, headers=None, **kwargs):
        return self.client.put(*args, headers=self._headers(headers), **kwargs)

    def delete(self, *args, headers=None, **kwargs):
        return self.client.delete(*args, headers=self._headers(headers), **kwargs)

    def form_post(self, url, data, **kwargs):
        """Post an HTML form the way a browser does: with the page's CSRF token field."""
        return self.client.post(url, data={"csrf_token": self.csrf, **data}, **kwargs)


@pytest.fixture
def login(app):
    def _login(user):
        return ActorClient(app, user)

    return _login


@pytest.fixture
def nurse(factory, org):
    return factory.user(org, "nurse")


@pytest.fixture
def coordinator(factory, org):
    return factory.user(org, "coordinator")


@pytest.fixture
def admin(factory, org):
    return factory.user(org, "admin")


@pytest.fixture
def nurse_client(login, nurse):
    return login(nurse)


@pytest.fixture
def coordinator_client(login, coordinator):
    return login(coordinator)


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


@pytest.fixture
def other_coordinator_client(login, factory, other_org):
    return login(factory.user(other_org, "coordinator"))
