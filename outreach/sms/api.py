"""/api/v1/sms-contacts: create-or-replace with client ids, read one, list, and the numbers
to text that a phone keeps for working offline."""

import uuid

from flask.views import MethodView

from outreach.apiutil import Blueprint, caller, document_put, found_or_404, put_answer, with_etag
from outreach.audit.services import record
from outreach.db import write_transaction
from outreach.permissions import role_required
from outreach.sms import queries, services
from outreach.sms.schemas import (
    SmsContactInSchema,
    SmsContactListSchema,
    SmsContactOutSchema,
    SmsContactQuerySchema,
    ToTextSchema,
)

blp = Blueprint(
    "sms_api",
    __name__,
    url_prefix="/api/v1/sms-contacts",
    description="SMS contacts: texts sent to numbers from ads, and what came of them.",
)


@blp.route("")
class SmsContactCollection(MethodView):
    # Every number texted at once: coordinators only (as visits); a nurse's phone reads
    # what it needs from /to-text. Checked before the query string is read.
    decorators = [role_required("coordinator")]

    @blp.arguments(SmsContactQuerySchema, location="query")
    @blp.response(200, SmsContactListSchema)
    @blp.alt_response(403, description="Nurses: the phone reads /to-text.")
    def get(self, args):
        """List SMS contacts, newest first (coordinators; audited)."""
        with write_transaction():  # the read writes its audit event
            items, total = queries.list_contacts(caller(), **args)
        return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.route("/to-text")
class ToText(MethodView):
    @blp.etag
    @blp.response(200, ToTextSchema)
    def get(self):
        """The numbers to text (from leads; never one on the do-not-contact list), the
        templates filled in for the caller, and her own texts of the last 30 days (audited).
        The ETag is a hash of the answer: a phone that sends it back in If-None-Match gets a
        304 without a body when nothing changed (the answer is still computed and audited;
        only its bytes are spared on the phone's connection)."""
        user = caller()
        answer = queries.to_text(user)
        with write_transaction():
            record(
                "sms.to_text",
                user=user,
                object_type="sms_contacts",
                count=len(answer["numbers"]),
                mine=len(answer["mine"]),
            )
        return answer


@blp.route("/<uuid:contact_id>")
class SmsContactResource(MethodView):
    @blp.response(200, SmsContactOutSchema)
    def get(self, contact_id: uuid.UUID):
        """Read one SMS contact (audited)."""
        with write_transaction():  # the read writes its audit event
            contact = queries.read_contact(caller(), contact_id)
        contact = found_or_404(contact)
        return with_etag(contact, 200, queries.etag(contact))

    @blp.arguments(SmsContactInSchema)
    @blp.response(200, SmsContactOutSchema, description="Replaced, or unchanged when resent.")
    @document_put(blp, SmsContactOutSchema)
    def put(self, data, contact_id: uuid.UUID):
        """Create or replace an SMS contact under a client-generated id. A number on the
        do-not-contact list, or texted within the organisation's limit, is refused (422 on
        `phone`, saying which); recording what came of a stored text never is."""
        return put_answer(services.put_sms_contact, queries.etag, contact_id, data)
