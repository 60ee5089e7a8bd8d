"""/api/v1/leads: create-or-replace with client ids, read one, list with filters, and the
sightings of an ad seen again."""

import uuid

from flask.views import MethodView

from outreach.apiutil import Blueprint, caller, document_put, found_or_404, put_answer, with_etag
from outreach.db import commit_keeping_state, write_transaction
from outreach.leads import queries, services
from outreach.leads.models import Lead
from outreach.leads.schemas import (
    LeadInSchema,
    LeadListSchema,
    LeadOutSchema,
    LeadQuerySchema,
    SightingInSchema,
    SightingOutSchema,
)
from outreach.tenancy import get_in_org

blp = Blueprint(
    "leads_api",
    __name__,
    url_prefix="/api/v1/leads",
    description="Screened ads (leads) of the caller's organisation. Numbers, addresses, "
    "aliases and notes are protected data: every read is audited.",
)


@blp.route("")
class LeadCollection(MethodView):
    @blp.arguments(LeadQuerySchema, location="query")
    @blp.response(200, LeadListSchema)
    def get(self, args):
        """List leads, last seen first, filtered and paged (audited)."""
        page, per_page = args.pop("page"), args.pop("per_page")
        with write_transaction():  # the read writes its audit event
            items, total, _page = queries.list_leads(
                caller(), queries.LeadFilters(**args), page=page, per_page=per_page
            )
        return {"items": items, "page": page, "per_page": per_page, "total": total}


@blp.route("/<uuid:lead_id>")
class LeadResource(MethodView):
    @blp.response(200, LeadOutSchema)
    @blp.alt_response(404, description="No such lead in your organisation.")
    def get(self, lead_id: uuid.UUID):
        """Read one lead (audited)."""
        with write_transaction():  # the read writes its audit event
            lead = queries.read_lead(caller(), lead_id)
        lead = found_or_404(lead)
        return with_etag(lead, 200, queries.etag(lead))

    @blp.arguments(LeadInSchema)
    @blp.response(200, LeadOutSchema, description="Replaced, or unchanged when resent.")
    @document_put(blp, LeadOutSchema)
    @blp.alt_response(
        403, description="Only coordinators set or undo the statuses linked and dismissed."
    )
    def put(self, data, lead_id: uuid.UUID):
        """Create or replace a lead under a client-generated id. The same ad recorded
        before (same url, or same phone on the same site) is refused with 422 naming that
        lead: add a sighting to it instead."""
        return put_answer(services.put_lead, queries.etag, lead_id, data)


@blp.route("/<uuid:lead_id>/sightings")
class LeadSightings(MethodView):
    @blp.arguments(SightingInSchema)
    @blp.response(201, SightingOutSchema)
    @blp.alt_response(404, description="No such lead in your organisation.")
    def post(self, data, lead_id: uuid.UUID):
        """The ad was seen again: add a sighting (moves last_seen, adds its flags)."""
        user = caller()
        lead = found_or_404(get_in_org(Lead, lead_id, user.organisation_id))
        sighting = services.add_sighting(user, lead, data["seen_at"], data["site"], data["flags"])
        commit_keeping_state()
        return sighting
