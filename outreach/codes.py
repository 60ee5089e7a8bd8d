"""ISO code lists from Babel's CLDR data: countries (3166-1 alpha-2) and languages (639-1)."""

from functools import cache

from babel import Locale

# CLDR territories that are groupings or pseudo-regions, not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


@cache
def country_codes() -> frozenset[str]:
    return frozenset(
        c
        for c in Locale("en").territories
        if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES
    )


@cache
def language_codes() -> frozenset[str]:
    return frozenset(c for c in Locale("en").languages if len(c) == 2 and c.isalpha())


def country_name(code: str, locale: str = "en") -> str:
    return Locale.parse(locale).territories.get(code, code)


def language_name(code: str, locale: str = "en") -> str:
    return Locale.parse(locale).languages.get(code, code)
