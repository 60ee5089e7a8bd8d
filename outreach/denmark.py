"""Danish geography we need offline: postcode → region, coordinates → region, inside Denmark.

Postcodes follow the postal districts, which mostly line up with the regions; the exceptions
below are municipalities whose postal district lies in a neighbouring region's range. The
coordinate rule takes the region of the nearest known town (data/towns.csv): right away from
region borders, approximate near them, and always overridable by the user.
"""

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from geopy.distance import great_circle

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
# 3900-3999 is Greenland and 100-999 mostly the Faroe Islands: not regions of Denmark.


def region_for_postcode(postcode: str | int | None) -> str | None:
    if postcode is None:
        return None
    text = str(postcode).strip()
    if not (text.isdigit() and len(text) in (3, 4)):
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


def nearest_town(lat: float, lon: float) -> tuple[Town, float]:
    best = min(towns(), key=lambda t: great_circle((lat, lon), (t.lat, t.lon)).km)
    return best, great_circle((lat, lon), (best.lat, best.lon)).km


def in_denmark(lat: float, lon: float) -> bool:
    """A coarse test that catches swapped coordinates, (0, 0) and points abroad."""
    bornholm = 54.95 <= lat <= 55.32 and 14.65 <= lon <= 15.20
    mainland = 54.55 <= lat <= 57.76 and 8.05 <= lon <= 12.80
    if mainland and lon < 10.0 and lat < 54.80:  # south of the German border in Jutland
        mainland = False
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
