"""Routing configuration: defaults, overridable by the environment and by create_app(config).

The keys live here, beside the feature that reads them, and are set on the app when the
routing blueprint is registered; a value given to create_app() always wins.
"""

import os

DEFAULTS: dict[str, tuple[str, type]] = {
    # Travel model (outreach/routing/travel.py): great-circle km × detour at a fixed speed,
    # or "osrm" for driving times from an OSRM server.
    "ROUTING_ENGINE": ("great_circle", str),
    "ROUTING_DETOUR_FACTOR": ("1.3", float),
    "ROUTING_SPEED_KMH": ("60", float),
    "OSRM_URL": ("", str),
    "OSRM_TIMEOUT": ("10", float),
    # Solver (outreach/routing/solver.py): VROOM's search effort (1-5), threads, time cap
    # of one run.
    "ROUTING_EXPLORATION_LEVEL": ("5", int),
    "ROUTING_THREADS": ("2", int),
    "ROUTING_TIMEOUT_SECONDS": ("10", float),
    # After the first answer, up to ROUTING_RESTARTS more VROOM runs with perturbed costs;
    # ROUTING_SEARCH_SECONDS caps them on a busy machine (fewer runs, a best-so-far plan).
    "ROUTING_SEARCH_SECONDS": ("1.0", float),
    "ROUTING_RESTARTS": ("12", int),
    # At most this many clinics (highest priority first) go to the solver per plan.
    "ROUTING_MAX_CANDIDATES": ("80", int),
    # Days between visits to one clinic that the priority counts as "due".
    "ROUTING_TARGET_INTERVAL_DAYS": ("60", int),
}


def configure(app) -> None:
    for key, (default, kind) in DEFAULTS.items():
        if key not in app.config:
            app.config[key] = kind(os.environ.get(key, default))
