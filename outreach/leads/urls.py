"""Ad addresses: what makes a URL acceptable, and the form two writings of one ad share (the
look-up hash of Lead.url is of that form)."""

from urllib.parse import urlsplit, urlunsplit

from outreach.i18n import N_

MAX_LENGTH = 2000
NOT_A_URL = N_("Give the ad's full address, starting with https:// or http://.")
TOO_LONG = N_("An address is at most 2,000 characters.")
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidUrl(ValueError):
    """Not an address of a web page; the message (a msgid) never repeats the address."""


def check(text: str) -> str:
    """The address as given (stripped); InvalidUrl when it is not an http(s) address."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise InvalidUrl(TOO_LONG)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        raise InvalidUrl(NOT_A_URL) from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname or " " in text:
        raise InvalidUrl(NOT_A_URL)
    return text


def same_ad_form(text: str) -> str:
    """The form two writings of one ad's address share: scheme and host in lower case, no
    "www.", no default port, no fragment, no trailing slash. The path and query are kept as
    they are (sites tell ads apart by them)."""
    parts = urlsplit(text.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port
    if port and port != DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit(("https", host, path, parts.query, ""))
