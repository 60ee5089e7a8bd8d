"""What every browser test shares: Debian's Chromium, its flags, a phone's screen, timeouts.

The session-wide Playwright and browser fixtures are in tests/conftest.py: only one sync
Playwright can run in a thread, so every browser test uses that one."""

import re
import threading
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never Playwright's own download
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000  # every wait: a broken page fails fast instead of hanging the suite
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
NOT_LOCAL = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).+")  # requests that are aborted


@contextmanager
def serve(app):
    """Serve `app` on 127.0.0.1 in a thread; yields the base URL; stops and cleans up after."""
    from werkzeug.serving import make_server

    from outreach.db import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
