"""Lighthouse scores of the main pages (not part of the test run): performance, accessibility
and best practices, mobile, in Debian's Chromium.

The script migrates a temporary SQLite database, loads the demo data, serves the app with
gunicorn on 127.0.0.1 (production settings, a throwaway secret key), logs in as the demo
coordinator through the login form and its code step (the code made from the secret that the
demo command printed) and runs Lighthouse on each page with that session's cookie
(--extra-headers). It prints a table of the scores, best of --runs runs per page (Lighthouse's
performance score varies from run to run on a busy machine).

Lighthouse is a development tool, installed beside this script (never a runtime dependency):

    npm ci --prefix benchmarks/lighthouse
    .venv/bin/python benchmarks/lighthouse.py [--runs 3] [--pages /field/ /login ...] [--keep DIR]
"""

import argparse
import http.cookies
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp

from outreach.crypto import generate_keys

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "benchmarks" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
CATEGORIES = ("performance", "accessibility", "best-practices")
PAGES = ("/field/", "/login", "/clinics/", "/reports/", "/routes/")
PUBLIC = {"/field/", "/login"}  # shown without a session
COORDINATOR = "coordinator@demo.outreach.dk"
TARGET = 95


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database: Path) -> dict:
    env = dict(os.environ)
    env.update(
        OUTREACH_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(32),
        SESSION_COOKIE_SECURE="0",  # plain HTTP on 127.0.0.1
        DATABASE_URL=f"sqlite:///{database}",
        GEOCODER="none",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="2",
    )
    # A throwaway key ring for this database (production refuses to start without one).
    env.update(line.split("=", 1) for line in generate_keys())
    return env


def prepare(env: dict) -> str:
    """Migrates and loads the demo; returns what the demo command printed."""
    flask = [sys.executable, "-m", "flask", "--app", "outreach"]
    # The demo's published password is fine on a throwaway database served on 127.0.0.1.
    output = ""
    for command in (["db", "upgrade"], ["demo", "--i-know"]):
        done = subprocess.run(  # noqa: S603
            flask + command, env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        output = done.stdout
    return output


def printed_secret(demo_output: str, email: str) -> str:
    """The second factor's secret that the demo command printed for `email`."""
    found = re.search(rf"^\s*{re.escape(email)}\s+([A-Z2-7]+)\s*$", demo_output, re.M)
    if found is None:
        raise SystemExit(f"the demo printed no second-factor secret for {email}")
    return found.group(1)


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/login", timeout=2):  # noqa: S310 - our http://127.0.0.1
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _csrf_token(page: str) -> str:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    return token.group(1)


def _cookies(header: str | None) -> str:
    cookie = http.cookies.SimpleCookie(header or "")
    return "; ".join(f"{k}={m.value}" for k, m in cookie.items())


def _post_expecting_redirect(url: str, fields: dict, jar: str) -> tuple[str, str]:
    """(Location, cookies) of a form post that must answer 302."""
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=body, headers={"Cookie": jar})  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request)
        raise SystemExit(f"{url} did not redirect: wrong password, code or form?")
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise SystemExit(f"{url} answered {answer.code}") from None
        return answer.headers["Location"], _cookies(answer.headers.get("Set-Cookie"))


def log_in(url: str, email: str, password: str, totp_secret: str) -> str:
    """The session cookie ("name=value") of a login through the form and its code step."""
    with urllib.request.urlopen(url + "/login") as answer:  # noqa: S310 - our http://127.0.0.1
        jar = _cookies(answer.headers.get("Set-Cookie"))
        page = answer.read().decode()
    fields = {"csrf_token": _csrf_token(page), "email": email, "password": password}
    location, jar = _post_expecting_redirect(url + "/login", fields, jar)
    if not location.startswith("/login/code"):
        raise SystemExit(f"the login went to {location}, not to the code step")
    request = urllib.request.Request(url + location, headers={"Cookie": jar})  # noqa: S310
    with urllib.request.urlopen(request) as answer:  # noqa: S310 - our http://127.0.0.1
        jar = _cookies(answer.headers.get("Set-Cookie")) or jar  # the page's CSRF token is in it
        page = answer.read().decode()
    fields = {"csrf_token": _csrf_token(page), "code": pyotp.TOTP(totp_secret).now()}
    _, jar = _post_expecting_redirect(url + location, fields, jar)
    return jar


def lighthouse(url: str, cookie: str | None, out: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--form-factor=mobile",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603
    return json.loads(out.read_text())


def scores(report: dict) -> dict[str, int]:
    return {key: round(report["categories"][key]["score"] * 100) for key in CATEGORIES}


def failures(report: dict) -> list[str]:
    """The audits that cost points, for the reader: id and what Lighthouse displays."""
    found = []
    for key in CATEGORIES:
        for ref in report["categories"][key]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
                shown = audit.get("displayValue", "")
                found.append(f"{key}: {ref['id']} ({audit['score']}) {shown}".rstrip())
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the best counts")
    parser.add_argument("--pages", nargs="+", default=PAGES)
    parser.add_argument("--keep", type=Path, help="keep the Lighthouse JSON reports here")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is missing: npm ci --prefix benchmarks/lighthouse")

    from outreach import demo

    with tempfile.TemporaryDirectory(prefix="outreach-lighthouse-") as tmp:
        out_dir = args.keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        env = server_environment(Path(tmp) / "outreach.sqlite3")
        demo_output = prepare(env)
        port = free_port()
        env["BIND"] = f"127.0.0.1:{port}"
        server_log = (Path(tmp) / "server.log").open("w")
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=server_log,
            stderr=server_log,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url)
            secret = printed_secret(demo_output, COORDINATOR)
            cookie = log_in(url, COORDINATOR, demo.DEMO_PASSWORD, secret)
            rows = []
            for path in args.pages:
                best, notes = None, []
                for run in range(args.runs):
                    name = path.strip("/").replace("/", "-") or "root"
                    report = lighthouse(
                        url + path,
                        None if path in PUBLIC else cookie,
                        out_dir / f"{name}-{run}.json",
                    )
                    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
                    if path not in PUBLIC and "/login" in final:
                        raise SystemExit(f"{path}: redirected to the login; the cookie failed")
                    got = scores(report)
                    if best is None or sum(got.values()) > sum(best.values()):
                        best, notes = got, failures(report)
                print(f"{path}: {best}", file=sys.stderr)
                for note in notes:
                    print(f"    {note}", file=sys.stderr)
                rows.append((path, best))
        finally:
            server.terminate()
            server.wait(timeout=30)
            server_log.close()

    print(f"\n| page | {' | '.join(CATEGORIES)} |")
    print("|---|" + "---:|" * len(CATEGORIES))
    for path, best in rows:
        print(f"| `{path}` | " + " | ".join(str(best[key]) for key in CATEGORIES) + " |")
    below = [(path, key) for path, best in rows for key in CATEGORIES if best[key] < TARGET]
    if below:
        print(f"\nbelow {TARGET}: " + ", ".join(f"{path} {key}" for path, key in below))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
