"""Geocoding: the cache in front of the geocoder, Nominatim's rate limit and user agent, and the
GEOCODER setting. Nothing here reaches the network: geopy's Nominatim is replaced by a fake."""

import pytest
from geopy.exc import GeocoderServiceError, GeocoderTimedOut
from sqlalchemy import select

from outreach import config as config_module
from outreach import geo
from outreach.db import db
from tests.conftest import make_app

AARHUS_QUERY = "Vestergade 3, 8000 Aarhus C, Danmark"


class FakeLocation:
    def __init__(self, latitude, longitude):
        self.latitude, self.longitude = latitude, longitude


class FakeNominatim:
    """Stands in for geopy.geocoders.Nominatim: records how it was built and called."""

    instances: list["FakeNominatim"] = []

    def __init__(self, user_agent=None, timeout=None, **kwargs):
        self.user_agent, self.timeout, self.kwargs = user_agent, timeout, kwargs
        self.calls: list[tuple[str, dict]] = []
        self.answer = FakeLocation(56.157, 10.204)
        FakeNominatim.instances.append(self)

    def geocode(self, query, **kwargs):
        self.calls.append((query, kwargs))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def fake_nominatim(monkeypatch):
    FakeNominatim.instances = []
    monkeypatch.setattr(geo, "Nominatim", FakeNominatim)  # where geo looks it up
    return FakeNominatim


@pytest.fixture
def nominatim(fake_nominatim):
    """A NominatimGeocoder on the fake, with a clock that only moves when told to."""
    geocoder = geo.NominatimGeocoder("outreach-tests/1.0 (tests@example.org)", 5.0)
    limiter = geocoder._geocode
    limiter.now = 1000.0
    limiter.slept = []

    def sleep(seconds):
        limiter.slept.append(seconds)
        limiter.now += seconds

    limiter._clock = lambda: limiter.now
    limiter._sleep = sleep
    return geocoder


def cached_queries() -> list[str]:
    return list(db.session.scalars(select(geo.GeocodeCacheEntry.query)))


# --- the cache -----------------------------------------------------------------------------


def test_a_geocoded_address_is_answered_from_the_cache_the_second_time(app):
    geocoder = app.extensions["geocoder"]

    first = geo.geocode(AARHUS_QUERY)
    second = geo.geocode(AARHUS_QUERY)

    assert first == second == (56.1570, 10.2040)
    assert len(geocoder.calls) == 1


def test_the_cache_ignores_case_spacing_and_commas(app):
    geocoder = app.extensions["geocoder"]
    geo.geocode(AARHUS_QUERY)

    assert geo.geocode("  vestergade 3  8000 AARHUS C, danmark") == (56.1570, 10.2040)
    assert len(geocoder.calls) == 1


def test_an_unknown_address_is_cached_as_not_found(app):
    geocoder = app.extensions["geocoder"]

    assert geo.geocode("Nowhere 1, 8000 Aarhus C, Danmark") is None
    assert geo.geocode("Nowhere 1, 8000 Aarhus C, Danmark") is None
    assert len(geocoder.calls) == 1


def test_an_unreachable_geocoder_raises_and_caches_nothing(app):
    app.extensions["geocoder"] = geo.LocalGeocoder(available=False)

    with pytest.raises(geo.GeocodingUnavailable):
        geo.geocode(AARHUS_QUERY)

    assert cached_queries() == []


def test_an_address_is_looked_up_again_once_the_geocoder_is_back(app):
    app.extensions["geocoder"] = geo.LocalGeocoder(available=False)
    with pytest.raises(geo.GeocodingUnavailable):
        geo.geocode(AARHUS_QUERY)
    app.extensions["geocoder"] = geo.LocalGeocoder({AARHUS_QUERY: (56.157, 10.204)})

    assert geo.geocode(AARHUS_QUERY) == (56.157, 10.204)


def test_a_very_long_query_is_cached_under_a_key_that_fits_the_column(app):
    query = "Vestergade 3, " + "x" * 400 + ", Danmark"

    assert geo.geocode(query) is None
    assert [len(key) for key in cached_queries()] == [300]


# --- Nominatim -----------------------------------------------------------------------------


def test_nominatim_is_built_with_the_given_user_agent_and_timeout(nominatim, fake_nominatim):
    (instance,) = fake_nominatim.instances

    assert instance.user_agent == "outreach-tests/1.0 (tests@example.org)"
    assert instance.timeout == 5.0


def test_nominatim_calls_are_rate_limited_to_one_a_second(nominatim):
    assert nominatim._geocode.min_delay_seconds >= 1.0


def test_a_second_nominatim_call_waits_until_a_second_has_passed(nominatim):
    nominatim.geocode("Algade 10, 9000 Aalborg, Danmark")
    nominatim._geocode.now += 0.25

    nominatim.geocode("Vestergade 3, 8000 Aarhus C, Danmark")

    assert nominatim._geocode.slept == [pytest.approx(0.75)]


def test_nominatim_calls_a_second_apart_do_not_wait(nominatim):
    nominatim.geocode("Algade 10, 9000 Aalborg, Danmark")
    nominatim._geocode.now += 1.0

    nominatim.geocode("Vestergade 3, 8000 Aarhus C, Danmark")

    assert nominatim._geocode.slept == []


def test_nominatim_is_asked_for_one_result_in_denmark(nominatim, fake_nominatim):
    nominatim.geocode(AARHUS_QUERY)

    (instance,) = fake_nominatim.instances
    assert instance.calls == [(AARHUS_QUERY, {"country_codes": "dk", "exactly_one": True})]


def test_nominatim_answers_latitude_and_longitude(nominatim):
    assert nominatim.geocode(AARHUS_QUERY) == (56.157, 10.204)


def test_nominatim_without_a_result_answers_none(nominatim, fake_nominatim):
    fake_nominatim.instances[0].answer = None

    assert nominatim.geocode(AARHUS_QUERY) is None


@pytest.mark.parametrize(
    "failure",
    [GeocoderTimedOut("slow"), GeocoderServiceError("503"), OSError("network down")],
    ids=["timeout", "service error", "network error"],
)
def test_a_nominatim_failure_is_reported_as_unavailable(nominatim, fake_nominatim, failure):
    fake_nominatim.instances[0].answer = failure

    with pytest.raises(geo.GeocodingUnavailable):
        nominatim.geocode(AARHUS_QUERY)


def test_a_nominatim_failure_is_not_retried_within_the_request(nominatim, fake_nominatim):
    fake_nominatim.instances[0].answer = GeocoderTimedOut("slow")

    with pytest.raises(geo.GeocodingUnavailable):
        nominatim.geocode(AARHUS_QUERY)

    assert len(fake_nominatim.instances[0].calls) == 1


# --- the GEOCODER setting ------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path):
    # Building a geocoder touches no database; the app only needs a URL to start.
    return "sqlite:///" + str(tmp_path / "unused.sqlite3")


def test_geocoder_nominatim_builds_nominatim_with_the_configured_user_agent(
    sqlite_url, fake_nominatim
):
    app = make_app(
        sqlite_url, GEOCODER="nominatim", GEOCODER_USER_AGENT="outreach-x/2 (ops@example.org)"
    )

    assert isinstance(app.extensions["geocoder"], geo.NominatimGeocoder)
    assert fake_nominatim.instances[-1].user_agent == "outreach-x/2 (ops@example.org)"


def test_geocoder_nominatim_uses_the_configured_timeout(sqlite_url, fake_nominatim):
    make_app(sqlite_url, GEOCODER="nominatim", GEOCODER_TIMEOUT=2.5)

    assert fake_nominatim.instances[-1].timeout == 2.5


def test_geocoder_towns_builds_the_offline_town_geocoder(sqlite_url):
    app = make_app(sqlite_url, GEOCODER="towns")

    assert isinstance(app.extensions["geocoder"], geo.TownGeocoder)


def test_geocoder_none_builds_a_geocoder_that_is_always_unavailable(sqlite_url):
    app = make_app(sqlite_url, GEOCODER="none")

    with pytest.raises(geo.GeocodingUnavailable):
        app.extensions["geocoder"].geocode(AARHUS_QUERY)


def test_an_unknown_geocoder_setting_stops_the_app_from_starting(sqlite_url):
    with pytest.raises(ValueError, match="GEOCODER"):
        make_app(sqlite_url, GEOCODER="google")


def test_the_geocoder_setting_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOCODER", "towns")
    monkeypatch.setenv("GEOCODER_USER_AGENT", "outreach-env/1 (ops@example.org)")

    settings = config_module.from_environment(str(tmp_path))

    assert settings["GEOCODER"] == "towns"
    assert settings["GEOCODER_USER_AGENT"] == "outreach-env/1 (ops@example.org)"


def test_the_default_geocoder_is_nominatim(monkeypatch, tmp_path):
    monkeypatch.delenv("GEOCODER", raising=False)

    assert config_module.from_environment(str(tmp_path))["GEOCODER"] == "nominatim"


# --- the offline geocoders and distances ---------------------------------------------------


def test_the_town_geocoder_answers_the_centre_of_the_postcodes_town():
    assert geo.TownGeocoder().geocode("Algade 10, 9000 Aalborg, Danmark") == (57.0488, 9.9217)


def test_the_town_geocoder_does_not_know_a_postcode_without_a_town():
    assert geo.TownGeocoder().geocode("Algade 10, 9999 Nowhere, Danmark") is None


def test_the_local_geocoder_matches_addresses_however_they_are_written():
    geocoder = geo.LocalGeocoder({AARHUS_QUERY: (56.157, 10.204)})

    assert geocoder.geocode("VESTERGADE 3 8000 aarhus c danmark") == (56.157, 10.204)


def test_the_distance_from_aarhus_to_aalborg_is_about_100_km():
    assert geo.distance_km((56.1567, 10.2108), (57.0488, 9.9217)) == pytest.approx(100, abs=2)
