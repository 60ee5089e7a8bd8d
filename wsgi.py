"""WSGI entry point for gunicorn: `gunicorn wsgi:app`.

Behind a reverse proxy set PROXY_COUNT to the number of proxies in front of the app, so the
per-IP login limit sees the client's address, not the proxy's.
"""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from outreach import create_app

app = create_app()
proxies = int(os.environ.get("PROXY_COUNT", "0"))
if proxies:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
