"""Danish geography we need offline: postcode → region, coordinates → region, inside Denmark.

Postcodes follow the postal districts, which mostly line up with the regions; the exceptions
below are municipalities whose postal district lies in a neighbouring region's range. The
coordinate rule takes the region of the nearest known town (data/towns.csv): right away from
region borders, approximate near them, and always overridable by the user.
"""

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# (first, last, region) ranges, checked in order; exceptions first.
POSTCODE_EXCEPTIONS: list[tuple[int, int, str]] = [
    (2670, 2699, "sjaelland"),  # Greve, Solrød Strand, Karlslunde
    (4050, 4050, "hovedstaden"),  # Skibby (Frederikssund)
    (6880, 6999, "midtjylland"),  # Ringkøbing-Skjern: Tarm, Skjern, Ringkøbing, Ulfborg ...
    (7130, 7171, "midtjylland"),  # Hedensted: Juelsminde, Stouby, Barrit, Tørring, Uldum
    (7270, 7280, "midtjylland"),  # Herning: Stakroge, Sønder Felding
    (7330, 7699, "midtjylland"),  # Brande ... Struer, Lemvig
    (7700, 7789, "nordjylland"),  # Thisted: Thisted, Hanstholm, Hurup, Vestervig
    (7790, 7899, "midtjylland"),  # Thyholm, Skive
    (7900, 7999, "nordjylland"),  # Morsø: Nykøbing M ...
    (9632, 9632, "midtjylland"),  # Møldrup (Viborg)
]
POSTCODE_RANGES: list[tuple[int, int, str]] = [
    (800, 2999, "hovedstaden"),
    (3000, 3799, "hovedstaden"),  # North Zealand and Bornholm (3700-3790)
    (4000, 4999, "sjaelland"),
    (5000, 5999, "syddanmark"),
    (6000, 7329, "syddanmark"),  # with the Midtjylland pockets above
    (8000, 8999, "midtjylland"),
    (9000, 9999, "nordjylland"),
]
# 3900-3999 is Greenland and the three-digit 100-999 the Faroe Islands: not regions of
# Denmark. Danish postcodes always have four digits; 0800-0999 are special Copenhagen ones.
_POSTCODE = re.compile(r"[0-9]{4}")


def region_for_postcode(postcode: str | int | None) -> str | None:
    if postcode is None or isinstance(postcode, bool):
        return None
    text = f"{postcode:04d}" if isinstance(postcode, int) else str(postcode).strip()
    if not _POSTCODE.fullmatch(text):
        return None
    number = int(text)
    for first, last, region in POSTCODE_EXCEPTIONS + POSTCODE_RANGES:
        if first <= number <= last:
            return region
    return None


def is_valid_postcode(postcode: str | None) -> bool:
    return region_for_postcode(postcode) is not None


@dataclass(frozen=True)
class Town:
    name: str
    postcode: str
    lat: float
    lon: float
    region: str


@cache
def towns() -> tuple[Town, ...]:
    text = resources.files("outreach").joinpath("data/towns.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        Town(r["town"], r["postcode"], float(r["lat"]), float(r["lon"]), r["region"]) for r in rows
    )


# Farther than this from every known town is not Danish land (the sea, Sweden, Germany).
MAX_TOWN_DISTANCE_KM = 40.0


EARTH_RADIUS_KM = 6371.009  # the mean radius geopy's great_circle uses


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Plain arithmetic: this runs for every town on every coordinate check (CSV imports of
    # thousands of rows), where geopy's objects cost milliseconds a call.
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_town(lat: float, lon: float) -> tuple[Town, float]:
    best = min(towns(), key=lambda t: _haversine_km(lat, lon, t.lat, t.lon))
    return best, _haversine_km(lat, lon, best.lat, best.lon)


# The land border in Jutland and the sea border past Sylt, simplified, as (lon, lat) points
# from west to east: Danish land lies north of the line. Padborg, Kruså, Tønder and Rudbøl
# stay in Denmark; Harrislee, Flensburg, Glücksburg, Süderlügum and Sylt are left out.
GERMAN_BORDER: list[tuple[float, float]] = [
    (8.05, 55.07),
    (8.469, 55.07),  # Sylt's northern tip faces Rømø across the Lister Dyb
    (8.47, 54.97),
    (8.60, 54.96),
    (8.80, 54.925),
    (8.90, 54.895),
    (9.05, 54.855),
    (9.25, 54.835),
    (9.36, 54.815),
    (9.43, 54.825),  # the border reaches Flensburg Fjord, then runs along its middle
    (9.50, 54.838),
    (9.58, 54.875),
    (9.66, 54.86),
    (9.75, 54.82),
    (10.0, 54.80),
]


def _south_of_german_border(lat: float, lon: float) -> bool:
    points = GERMAN_BORDER
    if not points[0][0] <= lon <= points[-1][0]:
        return False
    for (lon1, lat1), (lon2, lat2) in zip(points, points[1:], strict=False):
        if lon1 <= lon <= lon2:
            return lat < lat1 + (lat2 - lat1) * (lon - lon1) / (lon2 - lon1)
    return False


def _in_sweden(lat: float, lon: float) -> bool:
    # Helsingborg, Ven and Kullen lie inside the mainland box; Zealand ends at Gilleleje
    # (56.13 N) and Helsingør (12.63 E), while Landskrona, Malmö and Falsterbo lie east of
    # the box.
    return (lat > 55.85 and lon > 12.65) or (lat > 56.14 and lon > 12.0)


def in_denmark(lat: float, lon: float) -> bool:
    """A coarse test that catches swapped coordinates, (0, 0) and points abroad."""
    bornholm = 54.95 <= lat <= 55.32 and 14.65 <= lon <= 15.20
    mainland = (
        54.55 <= lat <= 57.76
        and 8.05 <= lon <= 12.80
        and not _south_of_german_border(lat, lon)
        and not _in_sweden(lat, lon)
    )
    if not (bornholm or mainland):
        return False
    return nearest_town(lat, lon)[1] <= MAX_TOWN_DISTANCE_KM


def region_for_coordinates(lat: float | None, lon: float | None) -> str | None:
    if lat is None or lon is None or not in_denmark(lat, lon):
        return None
    return nearest_town(lat, lon)[0].region


def town_for_postcode(postcode: str) -> Town | None:
    for town in towns():
        if town.postcode == postcode:
            return town
    return None


def town_named(name: str) -> Town | None:
    """A town by its name as people write it ('aarhus c', 'Aarhus', 'København'): the exact
    name first, else the first town whose name starts with the same word."""
    wanted = " ".join(name.casefold().split())
    if not wanted:
        return None
    for town in towns():
        if town.name.casefold() == wanted:
            return town
    first = wanted.split()[0]
    for town in towns():
        if town.name.casefold().split()[0] == first:
            return town
    return None
