"""gunicorn's settings for Outreach: `gunicorn -c gunicorn.conf.py wsgi:app` (`make serve`).

Environment: BIND (default 127.0.0.1:8000; nginx in front, docs/deployment.md),
WEB_CONCURRENCY (workers; default 2 × cores + 1, at most 9), GUNICORN_TIMEOUT (seconds).
`kill -HUP <master pid>` reloads gracefully: new workers start with the new code, old ones
finish their requests within graceful_timeout (`systemctl reload outreach-web`).
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")

# Sync workers: each request holds a worker, and the work is mostly database and CPU. More
# than 9 only adds database connections and memory on the machines this runs on.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))

# The slowest legitimate request is a route plan (the solver's ROUTING_TIMEOUT_SECONDS) or a
# PDF export; a worker stuck longer than this is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30  # on HUP or TERM, what a worker has to finish its request
keepalive = 5  # behind nginx, which reuses its upstream connections

# Recycle workers now and then (a leak stays bounded); the jitter keeps them from all
# restarting at once.
max_requests = 2000
max_requests_jitter = 200

# gunicorn's control socket (one path per user, ~/.gunicorn/gunicorn.ctl) is not used: reloads
# go through HUP (systemctl reload), and two instances on one host would share its path.
control_socket_disable = True

# The app logs every request itself, as JSON without query strings (outreach/logs.py).
accesslog = None

# gunicorn's own lines (worker started, worker timed out) as JSON too. The root logger is left
# to the app (outreach.logs.configure_logging), so no line is written twice.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
    "handlers": {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "formatters": {"json": {"()": "outreach.logs.JsonFormatter"}},
}
