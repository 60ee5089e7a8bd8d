"""Danish geography without a network: postcode → region, coordinates → region, in Denmark."""

import pytest

from outreach.denmark import (
    in_denmark,
    is_valid_postcode,
    region_for_coordinates,
    region_for_postcode,
    town_for_postcode,
    towns,
)
from outreach.orgs.models import REGION_SLUGS

# Postcodes whose region is not the one of their number range: the municipality decides.
POSTCODE_EXCEPTIONS = {
    "2670": "sjaelland",  # Greve (Greve)
    "2680": "sjaelland",  # Solrød Strand (Solrød)
    "2690": "sjaelland",  # Karlslunde (Greve)
    "4050": "hovedstaden",  # Skibby (Frederikssund)
    "6880": "midtjylland",  # Tarm (Ringkøbing-Skjern)
    "6950": "midtjylland",  # Ringkøbing (Ringkøbing-Skjern)
    "6990": "midtjylland",  # Ulfborg (Holstebro)
    "7130": "midtjylland",  # Juelsminde (Hedensted)
    "7160": "midtjylland",  # Tørring (Hedensted)
    "7171": "midtjylland",  # Uldum (Hedensted)
    "7280": "midtjylland",  # Sønder Felding (Herning)
    "7330": "midtjylland",  # Brande (Ikast-Brande)
    "7700": "nordjylland",  # Thisted (Thisted)
    "7770": "nordjylland",  # Vestervig (Thisted)
    "7790": "midtjylland",  # Thyholm (Struer)
    "7884": "midtjylland",  # Fur (Skive)
    "7900": "nordjylland",  # Nykøbing M (Morsø)
    "9632": "midtjylland",  # Møldrup (Viborg)
}
# Postcodes next to an exception that follow their range.
POSTCODE_NEIGHBOURS = {
    "2665": "hovedstaden",  # Vallensbæk Strand
    "2700": "hovedstaden",  # Brønshøj
    "3700": "hovedstaden",  # Rønne, Bornholm
    "3790": "hovedstaden",  # Hasle, Bornholm
    "4000": "sjaelland",  # Roskilde
    "4060": "sjaelland",  # Kirke Såby (Lejre)
    "6870": "syddanmark",  # Ølgod (Varde)
    "7120": "syddanmark",  # Vejle Øst
    "7173": "syddanmark",  # Vonge (Vejle)
    "7190": "syddanmark",  # Billund
    "7260": "syddanmark",  # Sønder Omme (Billund)
    "7300": "syddanmark",  # Jelling (Vejle)
    "7323": "syddanmark",  # Give (Vejle)
    "9620": "nordjylland",  # Aalestrup (Vesthimmerland)
}
POSTCODE_RANGES = {
    "0800": "hovedstaden",  # Høje Taastrup (a special four-digit postcode)
    "1050": "hovedstaden",
    "3400": "hovedstaden",
    "4800": "sjaelland",
    "5000": "syddanmark",
    "6000": "syddanmark",
    "8000": "midtjylland",
    "8305": "midtjylland",  # Samsø
    "8592": "midtjylland",  # Anholt
    "9000": "nordjylland",
    "9940": "nordjylland",  # Læsø
    "9990": "nordjylland",
}
NOT_DANISH_POSTCODES = {
    "Greenland": "3900",
    "Greenland too": "3985",
    "letters": "abcd",
    "three digits (Faroe Islands)": "123",
    "three digits of a Danish range": "800",
    "five digits": "80000",
    "digits and a letter": "8000a",
    "empty": "",
    "spaces": "   ",
    "below every range": "0555",
    "digits of another script": "\u0668\u0660\u0660\u0660",
}


@pytest.mark.parametrize(("postcode", "region"), POSTCODE_EXCEPTIONS.items())
def test_an_exception_postcode_maps_to_its_municipalitys_region(postcode, region):
    assert region_for_postcode(postcode) == region


@pytest.mark.parametrize(("postcode", "region"), POSTCODE_NEIGHBOURS.items())
def test_a_postcode_next_to_an_exception_follows_its_range(postcode, region):
    assert region_for_postcode(postcode) == region


@pytest.mark.parametrize(("postcode", "region"), POSTCODE_RANGES.items())
def test_a_postcode_maps_to_the_region_of_its_range(postcode, region):
    assert region_for_postcode(postcode) == region


@pytest.mark.parametrize("postcode", NOT_DANISH_POSTCODES.values(), ids=NOT_DANISH_POSTCODES)
def test_a_postcode_that_is_not_danish_has_no_region(postcode):
    assert region_for_postcode(postcode) is None
    assert not is_valid_postcode(postcode)


def test_no_postcode_has_no_region():
    assert region_for_postcode(None) is None


def test_a_postcode_with_spaces_around_it_is_read():
    assert region_for_postcode(" 8000 ") == "midtjylland"


def test_a_postcode_given_as_a_number_is_read_with_its_leading_zero():
    assert region_for_postcode(8000) == "midtjylland"
    assert region_for_postcode(800) == "hovedstaden"


def test_a_boolean_is_not_a_postcode():
    assert region_for_postcode(True) is None


PLACES = {
    "Aarhus": ((56.1567, 10.2108), "midtjylland"),
    "Aalborg": ((57.0488, 9.9217), "nordjylland"),
    "Odense": ((55.3959, 10.3883), "syddanmark"),
    "Roskilde": ((55.6415, 12.0803), "sjaelland"),
    "Copenhagen": ((55.6761, 12.5683), "hovedstaden"),
    "Rønne": ((55.1009, 14.7066), "hovedstaden"),
    "Thisted": ((56.955, 8.694), "nordjylland"),
    "Skive": ((56.567, 9.027), "midtjylland"),
    "Anholt": ((56.715, 11.51), "midtjylland"),
    "Læsø": ((57.256, 10.999), "nordjylland"),
}


@pytest.mark.parametrize(("point", "region"), PLACES.values(), ids=PLACES)
def test_coordinates_map_to_the_region_they_lie_in(point, region):
    assert region_for_coordinates(*point) == region


def test_missing_coordinates_have_no_region():
    assert region_for_coordinates(None, 10.0) is None
    assert region_for_coordinates(56.0, None) is None


DANISH_POINTS = {
    "Skagen, Grenen": (57.74, 10.63),
    "Gedser": (54.575, 11.93),
    "Padborg, at the border": (54.827, 9.363),
    "Kruså, at the border": (54.85, 9.40),
    "Kollund, on Flensburg Fjord": (54.84, 9.47),
    "Tønder": (54.933, 8.867),
    "Rudbøl, on the border": (54.935, 8.79),
    "Rømø, Havneby": (55.09, 8.57),
    "Blåvandshuk, the westernmost point": (55.5575, 8.0828),
    "Kegnæs, Als": (54.85, 9.99),
    "Helsingør, Kronborg": (56.039, 12.6215),
    "Dragør": (55.593, 12.671),
    "Saltholm": (55.64, 12.77),
    "Gudhjem, Bornholm": (55.21, 14.97),
    "Anholt": (56.715, 11.51),
    "Læsø": (57.256, 10.999),
    "Hvide Sande": (56.0, 8.13),
}


@pytest.mark.parametrize("point", DANISH_POINTS.values(), ids=DANISH_POINTS)
def test_a_point_in_denmark_is_in_denmark(point):
    assert in_denmark(*point)


FOREIGN_POINTS = {
    "null island": (0.0, 0.0),
    "Malmö": (55.605, 13.0),
    "Flensburg": (54.79, 9.43),
    "Flensburg-Mürwik": (54.815, 9.46),
    "Harrislee": (54.80, 9.39),
    "Glücksburg": (54.835, 9.548),
    "Holnis": (54.866, 9.585),
    "Süderlügum": (54.874, 8.912),
    "Aventoft": (54.90, 8.82),
    "List on Sylt": (55.017, 8.43),
    "Westerland on Sylt": (54.91, 8.31),
    "Hamburg": (53.55, 9.99),
    "Kiel": (54.32, 10.13),
    "Aarhus with latitude and longitude swapped": (10.2108, 56.1567),
    "Helsingborg": (56.046, 12.694),
    "Ven": (55.905, 12.69),
    "Höganäs": (56.20, 12.55),
    "Gothenburg": (57.71, 11.97),
    "Oslo": (59.91, 10.75),
    "the North Sea": (56.5, 6.0),
    "not a number": (float("nan"), 10.0),
}


@pytest.mark.parametrize("point", FOREIGN_POINTS.values(), ids=FOREIGN_POINTS)
def test_a_point_outside_denmark_is_not_in_denmark(point):
    assert not in_denmark(*point)
    assert region_for_coordinates(*point) is None


def test_the_town_table_covers_every_region():
    assert {town.region for town in towns()} == set(REGION_SLUGS)


def test_every_town_lies_in_the_region_of_its_postcode():
    wrong = [t for t in towns() if region_for_postcode(t.postcode) != t.region]

    assert wrong == []


def test_every_town_lies_in_denmark():
    assert [t for t in towns() if not in_denmark(t.lat, t.lon)] == []


def test_every_towns_coordinates_map_to_its_region():
    assert [t for t in towns() if region_for_coordinates(t.lat, t.lon) != t.region] == []


def test_no_two_towns_share_a_postcode():
    postcodes = [t.postcode for t in towns()]

    assert len(postcodes) == len(set(postcodes))


def test_a_town_is_found_by_its_postcode():
    assert town_for_postcode("8000").name == "Aarhus C"


def test_an_unknown_postcode_has_no_town():
    assert town_for_postcode("8001") is None
