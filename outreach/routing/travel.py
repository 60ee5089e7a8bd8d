"""Travel times and distances between places: the matrix that the solver and the check share.

The default model needs no network: the great-circle distance (geopy) times a detour factor,
driven at a fixed speed. With ROUTING_ENGINE=osrm the matrix comes from an OSRM server's
table service; when it cannot be reached the plan falls back to the default model and says so.
"""

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import current_app

from outreach.geo import distance_km

Point = tuple[float, float]  # (lat, lon)


@dataclass(frozen=True)
class Matrix:
    durations: list[list[int]]  # seconds, [from][to]
    distances: list[list[int]]  # metres, [from][to]
    model: str  # how it was made, shown on the plan


class TravelModel(ABC):
    """Where travel times come from: the great-circle estimate or an OSRM server."""

    description = ""

    @abstractmethod
    def matrix(self, points: Sequence[Point]) -> Matrix:
        """Durations and distances between every pair of points."""


class GreatCircle(TravelModel):
    """great_circle(a, b) × detour_factor, at speed_kmh."""

    def __init__(self, detour_factor: float = 1.3, speed_kmh: float = 60.0):
        if detour_factor < 1 or speed_kmh <= 0:
            raise ValueError("the detour factor must be at least 1 and the speed positive")
        self.detour_factor = detour_factor
        self.speed_kmh = speed_kmh

    def leg(self, a: Point, b: Point) -> tuple[int, int]:
        """(metres, seconds) from a to b, both rounded to whole units."""
        km = distance_km(a, b) * self.detour_factor
        return round(km * 1000), round(km / self.speed_kmh * 3600)

    def matrix(self, points: Sequence[Point]) -> Matrix:
        n = len(points)
        durations = [[0] * n for _ in range(n)]
        distances = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                metres, seconds = self.leg(points[i], points[j])
                distances[i][j] = distances[j][i] = metres
                durations[i][j] = durations[j][i] = seconds
        return Matrix(durations, distances, self.description)

    @property
    def description(self) -> str:
        return f"great-circle × {self.detour_factor:g} at {self.speed_kmh:g} km/h"


class OsrmUnavailable(Exception):
    pass


def _http_get_json(url: str, timeout: float) -> dict:
    # OSRM_URL comes from the operator's configuration; only http(s) is ever opened.
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise OsrmUnavailable("OSRM_URL must be an http or https URL.")
    request = urllib.request.Request(url, headers={"User-Agent": "outreach-routing"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310  # http(s) only
        return json.loads(response.read().decode("utf-8"))


class Osrm(TravelModel):
    """Driving durations and distances from OSRM's /table service (profile "driving").

    Pairs OSRM cannot route (null in its answer) and an unreachable server fall back to
    `fallback`; the matrix's `model` says when that happened.
    """

    description = "OSRM"

    def __init__(
        self,
        base_url: str,
        fallback: GreatCircle,
        timeout: float = 10.0,
        fetch: Callable[[str, float], dict] | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("OSRM_URL must be an http:// or https:// address")
        self.base_url = base_url.rstrip("/")
        self.fallback = fallback
        self.timeout = timeout
        self.fetch = fetch

    def table_url(self, points: Sequence[Point]) -> str:
        coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        return f"{self.base_url}/table/v1/driving/{coordinates}?annotations=duration,distance"

    def _table(self, points: Sequence[Point]) -> tuple[list, list]:
        try:
            answer = (self.fetch or _http_get_json)(self.table_url(points), self.timeout)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise OsrmUnavailable(str(exc)) from exc
        if answer.get("code") != "Ok" or "durations" not in answer or "distances" not in answer:
            raise OsrmUnavailable(f"OSRM answered {answer.get('code')!r}")
        return answer["durations"], answer["distances"]

    def matrix(self, points: Sequence[Point]) -> Matrix:
        if len(points) < 2:
            return self.fallback.matrix(points)
        try:
            durations, distances = self._table(points)
        except OsrmUnavailable as exc:
            current_app.logger.warning("OSRM unavailable, great-circle estimate used: %s", exc)
            estimate = self.fallback.matrix(points)
            return Matrix(
                estimate.durations,
                estimate.distances,
                f"{estimate.model} (OSRM could not be reached)",
            )
        n = len(points)
        out_durations = [[0] * n for _ in range(n)]
        out_distances = [[0] * n for _ in range(n)]
        patched = False
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                seconds, metres = durations[i][j], distances[i][j]
                if seconds is None or metres is None:
                    metres, seconds = self.fallback.leg(points[i], points[j])
                    patched = True
                out_durations[i][j] = int(math.ceil(seconds))
                out_distances[i][j] = int(round(metres))
        model = "OSRM" + (" (some legs estimated)" if patched else "")
        return Matrix(out_durations, out_distances, model)


def default_model(config=None) -> GreatCircle:
    config = config if config is not None else current_app.config
    return GreatCircle(
        float(config["ROUTING_DETOUR_FACTOR"]),
        float(config["ROUTING_SPEED_KMH"]),
    )


def configured_model(config=None) -> TravelModel:
    """The travel model the app's configuration asks for."""
    config = config if config is not None else current_app.config
    fallback = default_model(config)
    engine = (config["ROUTING_ENGINE"] or "great_circle").lower()
    if engine == "great_circle":
        return fallback
    if engine == "osrm":
        return Osrm(config["OSRM_URL"] or "", fallback, float(config["OSRM_TIMEOUT"]))
    raise ValueError(f"ROUTING_ENGINE must be 'great_circle' or 'osrm', not {engine!r}")
