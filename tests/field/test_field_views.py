"""The field app's server side: the shell, service worker, manifest, icons and catalogues are
public, carry no personal data, and the phone's strings all come from the catalogue."""

import json
import re
import struct
import zlib
from pathlib import Path

from outreach import vocabulary
from outreach.field.views import phone_msgids, precache_urls

ROOT = Path(__file__).resolve().parents[2]
FIELD = ROOT / "static" / "field"


def test_the_shell_is_public_and_carries_no_session_state(client):
    response = client.get("/field/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'type="module"' in html and "/static/field/app.js" in html
    assert "csrf" not in html.lower()
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_shell_preloads_the_catalogue_of_the_browsers_language(client):
    """The first screen waits for no round trip after the JavaScript has run (its strings
    arrive with the modules); the guess follows static/field/i18n.js preferred()."""
    for accept, lang in (("en-US,en;q=0.9", "en"), ("da-DK,da;q=0.9,en;q=0.8", "da"), (None, "da")):
        headers = {"Accept-Language": accept} if accept else {}
        response = client.get("/field/", headers=headers)
        html = response.get_data(as_text=True)
        for url in (f"/field/i18n/{lang}.json", f"/field/codes/{lang}.json"):
            assert f'<link rel="preload" href="{url}" as="fetch" crossorigin>' in html
        assert html.count('rel="preload"') == 2
        assert "Accept-Language" in response.headers["Vary"]


def test_the_shell_has_no_inline_script_or_style(client):
    html = client.get("/field/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and "style=" not in html
    assert "script-src 'self'" in client.get("/field/").headers["Content-Security-Policy"]


def test_the_shell_shows_no_personal_data_to_a_logged_in_nurse(nurse_client, nurse):
    html = nurse_client.get("/field/").get_data(as_text=True)
    assert nurse.email not in html


def test_the_service_worker_is_served_for_the_whole_site_and_never_cached_by_http(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_service_worker_precaches_the_shell_and_every_field_file_but_no_api(client):
    with client.application.test_request_context():
        urls = precache_urls()
    js = client.get("/sw.js").get_data(as_text=True)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", js, re.S).group(1))
    assert precache == urls
    assert "/field/" in precache and "/field/i18n/da.json" in precache
    shipped = {f"/static/field/{p.relative_to(FIELD).as_posix()}" for p in FIELD.rglob("*.js")}
    assert shipped <= set(precache)
    assert not [u for u in precache if u.startswith("/api/")]
    assert 'url.pathname.startsWith("/api/")' in js


def test_the_cache_version_changes_with_the_files(client, monkeypatch):
    from outreach.field import views

    before = re.search(r'const VERSION = "(\w+)"', client.get("/sw.js").get_data(as_text=True))
    files = [*views._static_files(), FIELD / "app.js"]
    monkeypatch.setattr(views, "_static_files", lambda: files)  # app.js counted twice
    after = re.search(r'const VERSION = "(\w+)"', client.get("/sw.js").get_data(as_text=True))
    assert before.group(1) != after.group(1)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    assert (
        zlib.crc32(data[12 : 16 + length])
        == struct.unpack(">I", data[16 + length : 20 + length])[0]
    )
    return struct.unpack(">II", data[16:24])


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/field/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    assert manifest["start_url"] == "/field/"
    assert manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable")} <= sizes
    for icon in manifest["icons"]:
        path = ROOT / icon["src"].lstrip("/")
        width, height = _png_size(path)
        assert f"{width}x{height}" == icon["sizes"]
        served = client.get(icon["src"])
        assert served.status_code == 200
        served.close()


def test_the_catalogue_has_every_phone_string(client):
    for lang in ("da", "en"):
        response = client.get(f"/field/i18n/{lang}.json")
        assert response.status_code == 200
        assert set(response.json) == phone_msgids()
        assert all(isinstance(v, str) and v for v in response.json.values())


def test_the_catalogue_carries_the_labels_of_the_code_lists_the_pull_sends(client):
    danish = client.get("/field/i18n/da.json").json
    assert vocabulary.phone_msgids() <= set(danish)
    assert danish[vocabulary.CLINIC_KINDS["massage_clinic"]] == "Massageklinik"


def test_the_catalogue_translates_through_flask_babel(client, monkeypatch):
    from outreach.field import views

    seen = []

    def fake_gettext(msgid):
        from flask_babel import get_locale

        seen.append(str(get_locale()))
        return msgid.upper()

    monkeypatch.setattr(views, "gettext", fake_gettext)
    body = client.get("/field/i18n/da.json").json
    assert body["Today"] == "TODAY"
    assert set(seen) == {"da"}


def test_code_names_come_in_the_asked_language(client):
    danish = client.get("/field/codes/da.json").json
    english = client.get("/field/codes/en.json").json
    assert danish["countries"]["DE"] == "Tyskland" and english["countries"]["DE"] == "Germany"
    assert english["languages"]["th"] == "Thai"
    assert danish["regions"]["nordjylland"] == "Region Nordjylland"


def test_an_unknown_language_is_not_found(client):
    assert client.get("/field/i18n/xx.json").status_code == 404
    assert client.get("/field/codes/xx.json").status_code == 404


def test_every_string_literal_in_the_phone_code_is_extracted_for_the_catalogue():
    """A second reader (a plain pattern, also inside template strings) for Babel's extractor:
    a call it does not recognise would leave the phone showing English."""
    literal = re.compile(r'\b(?:t|N_)\(\s*"((?:[^"\\]|\\.)*)"', re.S)
    missing = set()
    for path in FIELD.rglob("*.js"):
        for match in literal.finditer(path.read_text()):
            msgid = json.loads(f'"{match.group(1)}"')
            if msgid not in phone_msgids():
                missing.add(f"{path.name}: {msgid}")
    assert not missing, sorted(missing)


def test_the_phone_code_names_no_label_of_its_own_for_a_code():
    """Code lists and their labels come with the pull (outreach/vocabulary.py): a copy in the
    phone's code would be a second home that drifts."""
    copies = set()
    for path in FIELD.rglob("*.js"):
        text = path.read_text()
        for codes in vocabulary.PHONE_LISTS.values():
            copies.update(
                f"{path.name}: {code}"
                for code in codes
                if re.search(rf"\b{code}\s*:\s*(?:N_|t)\(", text)
            )
    assert not copies, sorted(copies)


def test_the_phone_code_uses_no_inline_styles_or_html_strings():
    for path in FIELD.rglob("*.js"):
        text = path.read_text()
        assert "innerHTML" not in text, path
        assert ".style." not in text and 'setAttribute("style"' not in text, path
        assert "eval(" not in text, path


def test_only_ui_preferences_go_to_local_storage():
    keys = set()
    for path in FIELD.rglob("*.js"):
        for match in re.finditer(r"localStorage\.setItem\(([^,]+),", path.read_text()):
            keys.add(match.group(1).strip())
    assert keys == {"PREF_KEY", "PREFS_KEY"}
