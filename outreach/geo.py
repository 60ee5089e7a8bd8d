"""Geocoding behind one interface (Nominatim by default, rate-limited and cached) and distances.

Tests and offline set-ups put a LocalGeocoder in place; nothing here is called at import time.
"""

import unicodedata
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app
from geopy.distance import great_circle
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import UTCDateTime, db, utcnow
from outreach.denmark import town_for_postcode, town_named


class GeocodingUnavailable(Exception):
    """The geocoder could not be reached; try again later."""


class Geocoder(Protocol):
    def geocode(self, query: str) -> tuple[float, float] | None:
        """(lat, lon), None when the address is unknown; raises GeocodingUnavailable."""


class NominatimGeocoder:
    """OpenStreetMap's Nominatim: at most one request a second, own user agent (its policy)."""

    def __init__(self, user_agent: str, timeout: float, url: str = ""):
        # url: a self-hosted Nominatim (NOMINATIM_URL), so that no address leaves the
        # organisation; empty for OpenStreetMap's public server, a third party.
        self.third_party = not url
        where = urlsplit(url) if url else None
        self._nominatim = Nominatim(
            user_agent=user_agent,
            timeout=timeout,
            **(
                {"domain": where.netloc + where.path.rstrip("/"), "scheme": where.scheme}
                if where
                else {}
            ),
        )
        self._geocode = RateLimiter(
            self._nominatim.geocode,
            min_delay_seconds=1.0,
            max_retries=0,
            swallow_exceptions=False,
        )

    def geocode(self, query: str) -> tuple[float, float] | None:
        try:
            location = self._geocode(query, country_codes="dk", exactly_one=True)
        except (GeopyError, OSError) as exc:
            raise GeocodingUnavailable(str(exc)) from exc
        return (location.latitude, location.longitude) if location else None


class LocalGeocoder:
    """A fixed table of addresses; for tests and machines without a network."""

    def __init__(
        self, places: dict[str, tuple[float, float]] | None = None, *, available: bool = True
    ):
        self.places = {normalise_query(k): v for k, v in (places or {}).items()}
        self.available = available
        self.calls: list[str] = []

    def geocode(self, query: str) -> tuple[float, float] | None:
        self.calls.append(query)
        if not self.available:
            raise GeocodingUnavailable("local geocoder switched off")
        return self.places.get(normalise_query(query))


class TownGeocoder:
    """Offline fallback: the centre of the town with the address's postcode."""

    def geocode(self, query: str) -> tuple[float, float] | None:
        for word in query.replace(",", " ").split():
            if word.isdigit() and len(word) == 4:
                town = town_for_postcode(word)
                if town:
                    return (town.lat, town.lon)
        return None


def town_centre(postcode: str | None, city: str | None) -> tuple[float, float] | None:
    """The centre of the clinic's town, by postcode or else by the town's name; offline.
    Where the geocoder can't be reached, a clinic stands there until it can."""
    town = town_for_postcode(postcode) if postcode else None
    if town is None and city:
        town = town_named(city)
    return (town.lat, town.lon) if town else None


class GeocodeCacheEntry(db.Model):
    __tablename__ = "geocode_cache"

    query: Mapped[str] = mapped_column(String(300), primary_key=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def normalise_query(query: str) -> str:
    text = unicodedata.normalize("NFKC", query).casefold()
    return " ".join(text.replace(",", " ").split())[:300]


def build_geocoder(app) -> Geocoder:
    choice = app.config["GEOCODER"]
    if not isinstance(choice, str):
        return choice  # an object given directly (tests)
    if choice == "nominatim":
        return NominatimGeocoder(
            app.config["GEOCODER_USER_AGENT"],
            app.config["GEOCODER_TIMEOUT"],
            app.config.get("NOMINATIM_URL", ""),
        )
    if choice == "towns":
        return TownGeocoder()
    if choice == "none":
        return LocalGeocoder(available=False)
    raise ValueError(f"GEOCODER must be 'nominatim', 'towns' or 'none', not {choice!r}")


def init_app(app) -> None:
    app.extensions["geocoder"] = build_geocoder(app)


def geocode(query: str, *, third_party: bool = True) -> tuple[float, float] | None:
    """Cached geocoding; raises GeocodingUnavailable when the service can't be reached.

    third_party=False (an organisation that uses no external services): a geocoder run by a
    third party is not asked; the town of the postcode answers instead, offline, and is not
    cached (the cache holds the configured geocoder's answers, shared by every organisation)."""
    geocoder = current_app.extensions["geocoder"]
    if not third_party and getattr(geocoder, "third_party", False):
        return TownGeocoder().geocode(query)
    key = normalise_query(query)
    cached = db.session.get(GeocodeCacheEntry, key)
    if cached is not None:
        return (cached.lat, cached.lon) if cached.lat is not None else None
    result = geocoder.geocode(query)
    entry = GeocodeCacheEntry(
        query=key, lat=result[0] if result else None, lon=result[1] if result else None
    )
    db.session.merge(entry)
    return result


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle(a, b).km
