"""Imports every model so that Alembic and the tests see the whole schema."""

from outreach.audit.models import AuditEvent
from outreach.auth.models import ApiToken, DeviceKey, RecoveryCode, SecondFactor, User, UserSession
from outreach.clinics.models import Clinic, ClinicImport
from outreach.geo import GeocodeCacheEntry
from outreach.leads.models import Lead, LeadImport, LeadSighting
from outreach.orgs.models import Organisation, Region, organisation_regions
from outreach.persons.models import Conversation, Person, PersonMerge, PersonSearch
from outreach.reports.models import ReportSnapshot
from outreach.routing.models import PlannedRoute, RoutePlan, RouteStop
from outreach.scheduler import JobLock
from outreach.sms.models import DoNotContact, SmsContact
from outreach.throttle import ThrottleCount
from outreach.visits.models import Visit

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Clinic",
    "DoNotContact",
    "ClinicImport",
    "Conversation",
    "DeviceKey",
    "GeocodeCacheEntry",
    "JobLock",
    "Lead",
    "LeadImport",
    "LeadSighting",
    "Organisation",
    "Person",
    "PersonMerge",
    "PersonSearch",
    "PlannedRoute",
    "RecoveryCode",
    "Region",
    "ReportSnapshot",
    "RoutePlan",
    "RouteStop",
    "SecondFactor",
    "SmsContact",
    "ThrottleCount",
    "User",
    "UserSession",
    "Visit",
    "organisation_regions",
]
