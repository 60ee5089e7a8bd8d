"""/api/v1/clinics: create-or-replace with client ids, read one, list with filters."""

import uuid

from flask.views import MethodView
from flask_smorest import abort

from outreach.apiutil import Blueprint, caller, put_answer, with_etag
from outreach.clinics import queries, services
from outreach.clinics.models import Clinic
from outreach.clinics.schemas import (
    ClinicInSchema,
    ClinicListSchema,
    ClinicOutSchema,
    ClinicQuerySchema,
)
from outreach.errors import ErrorSchema
from outreach.tenancy import get_in_org

blp = Blueprint(
    "clinics_api",
    __name__,
    url_prefix="/api/v1/clinics",
    description="The clinic registry of the caller's organisation.",
)


ETAG = {"ETag": {"description": "Send it back in If-Match.", "schema": {"type": "string"}}}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The ETag you read: the clinic is replaced only if it has not changed since.",
    "schema": {"type": "string"},
}


@blp.route("")
class ClinicCollection(MethodView):
    @blp.arguments(ClinicQuerySchema, location="query")
    @blp.response(200, ClinicListSchema)
    def get(self, args):
        """List clinics, filtered and paged."""
        page, per_page = args.pop("page"), args.pop("per_page")
        rows, total = queries.list_clinics(
            caller().organisation_id, queries.ClinicFilters(**args), page=page, per_page=per_page
        )
        return {
            "items": [clinic for clinic, _ in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }


@blp.route("/<uuid:clinic_id>")
class ClinicResource(MethodView):
    @blp.response(200, ClinicOutSchema, headers=ETAG)
    @blp.alt_response(404, schema=ErrorSchema, description="No such clinic in your organisation.")
    def get(self, clinic_id: uuid.UUID):
        """Read one clinic."""
        clinic = get_in_org(Clinic, clinic_id, caller().organisation_id)
        if clinic is None:
            abort(404)
        return with_etag(clinic, 200, queries.etag(clinic))

    @blp.arguments(ClinicInSchema)
    @blp.response(
        200, ClinicOutSchema, description="Replaced, or unchanged when resent.", headers=ETAG
    )
    @blp.alt_response(
        201, schema=ClinicOutSchema, description="Created.", headers=ETAG, success=True
    )
    @blp.alt_response(403, schema=ErrorSchema, description="Only coordinators close clinics.")
    @blp.alt_response(
        404, schema=ErrorSchema, description="The id belongs to another organisation."
    )
    @blp.alt_response(412, schema=ErrorSchema, description="If-Match names an out-of-date ETag.")
    @blp.doc(parameters=[IF_MATCH])
    def put(self, data, clinic_id: uuid.UUID):
        """Create or replace a clinic under a client-generated id."""
        return put_answer(services.put_clinic, queries.etag, clinic_id, data)
