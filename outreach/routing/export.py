"""A plan leaving the app: GPX for navigation apps, and links that open a stop in a map."""

# We only build XML here, never parse it.
import xml.etree.ElementTree as ET  # noqa: S405  # nosec B405  # builds GPX, parses nothing
from datetime import UTC
from urllib.parse import quote, urlencode

from flask_babel import gettext as _

from outreach.routing.models import RoutePlan
from outreach.routing.planner import LOCAL_TZ
from outreach.routing.queries import trip_bases

GPX_NS = "http://www.topografix.com/GPX/1/1"


def geo_uri(lat: float, lon: float, label: str = "") -> str:
    """RFC 5870 geo: URI; Android offers the installed map apps for it."""
    uri = f"geo:{lat:.6f},{lon:.6f}"
    if label:
        uri += f"?q={lat:.6f},{lon:.6f}({quote(label)})"
    return uri


def osm_url(lat: float, lon: float) -> str:
    query = urlencode({"mlat": f"{lat:.6f}", "mlon": f"{lon:.6f}"})
    return f"https://www.openstreetmap.org/?{query}#map=17/{lat:.6f}/{lon:.6f}"


def _point(parent, tag: str, lat: float, lon: float, name: str, **extra) -> ET.Element:
    element = ET.SubElement(parent, tag, lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    if "time" in extra and extra["time"] is not None:
        ET.SubElement(element, "time").text = (
            extra["time"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    ET.SubElement(element, "name").text = name
    if extra.get("desc"):
        ET.SubElement(element, "desc").text = extra["desc"]
    return element


def gpx(plan: RoutePlan, clinics: dict, route: int | None = None, day: int | None = None) -> bytes:
    """GPX 1.1 with one <rte> per route (only route number `route` when given, 1-based; on
    a trip only those of day `day`, 1-based): the base, the stops in order with their
    planned arrival, and the base again (a trip's day: its start base and its end base)."""
    root = ET.Element("gpx", version="1.1", creator="Outreach", xmlns=GPX_NS)
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "name").text = _("Route plan %(date)s", date=plan.date.isoformat())
    base_name = plan.base_name or _("Base")
    for planned in plan.routes:
        if route is not None and planned.position != route - 1:
            continue
        if day is not None and planned.day != day - 1:
            continue
        start = end = {"name": base_name, "lat": plan.base_lat, "lon": plan.base_lon}
        if plan.is_trip:
            start, end = trip_bases(plan, planned.day)
        rte = ET.SubElement(root, "rte")
        ET.SubElement(rte, "name").text = _("Route %(n)d", n=planned.position + 1)
        _point(
            rte,
            "rtept",
            start["lat"],
            start["lon"],
            start["name"] or base_name,
            time=planned.start_at,
        )
        for number, stop in enumerate(planned.stops, start=1):
            clinic = clinics.get(stop.clinic_id)
            if clinic is None or clinic.lat is None:
                continue
            local_start = stop.arrival_at.astimezone(LOCAL_TZ)
            local_end = stop.departure_at.astimezone(LOCAL_TZ)
            _point(
                rte,
                "rtept",
                clinic.lat,
                clinic.lon,
                f"{number}. {clinic.name}",
                time=stop.arrival_at,
                desc=f"{local_start:%H:%M}-{local_end:%H:%M}"
                + (f" {clinic.address}" if clinic.address else ""),
            )
        _point(rte, "rtept", end["lat"], end["lon"], end["name"] or base_name, time=planned.end_at)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
