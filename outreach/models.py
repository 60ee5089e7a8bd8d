"""Imports every model so that Alembic and the tests see the whole schema."""

from outreach.audit.models import AuditEvent
from outreach.auth.models import ApiToken, User
from outreach.clinics.models import Clinic
from outreach.geo import GeocodeCacheEntry
from outreach.orgs.models import Organisation, Region, organisation_regions
from outreach.scheduler import JobLock
from outreach.visits.models import Visit

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Clinic",
    "GeocodeCacheEntry",
    "JobLock",
    "Organisation",
    "Region",
    "User",
    "Visit",
    "organisation_regions",
]
