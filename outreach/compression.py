"""gzip for the public files only: the static files and the field app's catalogues, code
names, manifest and service worker (about 140 KiB less for a phone's first load of /field/).

Never a page or an API answer: those can hold a secret (a CSRF token, personal data) beside
text an attacker chooses (a search, a form value), which compression would leak through the
answer's length (BREACH). The files here carry neither, so they are compressed whoever asks.
A compressed answer gets a weak ETag (its bytes differ from the file's); If-None-Match is
compared weakly, so revalidation still answers 304.
"""

import gzip
from functools import lru_cache

from flask import request

ENDPOINTS = frozenset(
    {"static", "field.catalogue", "field.code_names", "field.manifest", "field.service_worker"}
)
TYPES = frozenset(
    {
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
    }
)
MIN_BYTES = 1024  # below this, the gzip header and the work are not worth it


@lru_cache(maxsize=256)
def _gzip(body: bytes) -> bytes:
    # The same few files are asked for again and again: compressed once per process.
    return gzip.compress(body, compresslevel=6, mtime=0)


def compress(response):
    """after_request: gzip a public file's answer when the browser accepts it."""
    if (
        request.endpoint not in ENDPOINTS
        or response.status_code != 200
        or response.mimetype not in TYPES
        or "Content-Encoding" in response.headers
        or not request.accept_encodings["gzip"]
    ):
        return response
    source = response.response
    response.direct_passthrough = False  # a static file is sent from disk; read it
    body = response.get_data()
    if hasattr(source, "close"):
        source.close()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(_gzip(body))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
    return response


def init_app(app) -> None:
    app.after_request(compress)
