"""gzip for the public files only (outreach/compression.py): never a page or an API answer,
which can hold a secret beside text an attacker chooses (BREACH)."""

import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_static_file_is_sent_gzipped_to_a_browser_that_accepts_it(client):
    with client.get("/static/field/app.js", headers=GZIP) as response:  # a file answer: close it
        body = response.get_data()
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(body) == (ROOT / "static/field/app.js").read_bytes()
    assert int(response.headers["Content-Length"]) == len(body)
    assert response.headers["ETag"].startswith('W/"')

    revalidate = {**GZIP, "If-None-Match": response.headers["ETag"]}
    with client.get("/static/field/app.js", headers=revalidate) as again:
        assert again.status_code == 304


def test_without_accept_encoding_the_file_is_sent_as_it_is(client):
    with client.get("/static/field/app.js") as response:
        assert "Content-Encoding" not in response.headers
        assert response.get_data() == (ROOT / "static/field/app.js").read_bytes()


def test_the_field_catalogues_are_gzipped(client):
    for url in ("/field/i18n/da.json", "/field/codes/en.json", "/sw.js"):
        response = client.get(url, headers=GZIP)
        assert response.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(response.get_data()).strip(), url


def test_pages_and_api_answers_are_never_compressed(client, coordinator_client):
    for url in ("/login", "/field/"):
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers, url
    for url in ("/reports/", "/clinics/", "/api/v1/clinics", "/api/v1/auth/me"):
        response = coordinator_client.get(url, headers=GZIP)
        assert response.status_code == 200, url
        assert "Content-Encoding" not in response.headers, url
