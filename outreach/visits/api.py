"""/api/v1/visits: create-or-replace with client ids, read one, list."""

import uuid

from flask.views import MethodView

from outreach.apiutil import Blueprint, caller, document_put, found_or_404, put_answer, with_etag
from outreach.db import write_transaction
from outreach.permissions import role_required
from outreach.visits import queries, services
from outreach.visits.schemas import VisitInSchema, VisitListSchema, VisitOutSchema, VisitQuerySchema

blp = Blueprint(
    "visits_api",
    __name__,
    url_prefix="/api/v1/visits",
    description="Visits: one knock on one clinic's door on one occasion.",
)


@blp.route("")
class VisitCollection(MethodView):
    # A page of visits is every note and police note of the organisation: nurses get what
    # the phone needs from GET /api/v1/sync, never a bulk list (docs/security.md). Checked
    # before the query string is read.
    decorators = [role_required("coordinator")]

    @blp.arguments(VisitQuerySchema, location="query")
    @blp.response(200, VisitListSchema)
    @blp.alt_response(403, description="Nurses: the phone gets its visits from the pull.")
    def get(self, args):
        """List visits, newest first (coordinators; audited)."""
        with write_transaction():  # the read writes its audit event
            items, total = queries.list_visits(caller(), **args)
        return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.route("/<uuid:visit_id>")
class VisitResource(MethodView):
    @blp.response(200, VisitOutSchema)
    def get(self, visit_id: uuid.UUID):
        """Read one visit (audited)."""
        with write_transaction():  # the read writes its audit event
            visit = queries.read_visit(caller(), visit_id)
        visit = found_or_404(visit)
        return with_etag(visit, 200, queries.etag(visit))

    @blp.arguments(VisitInSchema)
    @blp.response(200, VisitOutSchema, description="Replaced, or unchanged when resent.")
    @document_put(blp, VisitOutSchema)
    def put(self, data, visit_id: uuid.UUID):
        """Create or replace a visit under a client-generated id."""
        return put_answer(services.put_visit, queries.etag, visit_id, data)
