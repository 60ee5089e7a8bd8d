"""/api/v1/persons, /api/v1/conversations, suggestions and merges."""

import uuid

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from outreach.apiutil import (
    Blueprint,
    caller,
    document_put,
    found_or_404,
    put_answer,
    with_etag,
)
from outreach.db import db, write_transaction
from outreach.i18n import N_
from outreach.paging import list_schema, page_field, per_page_field
from outreach.permissions import role_required
from outreach.persons import queries, services
from outreach.persons.models import PersonMerge
from outreach.persons.schemas import (
    ConversationInSchema,
    ConversationOutSchema,
    MergeOutSchema,
    MergeSchema,
    PersonInSchema,
    PersonListSchema,
    PersonOutSchema,
    PersonQuerySchema,
    SuggestionQuerySchema,
    SuggestionSchema,
)
from outreach.records import NotAllowed
from outreach.tenancy import get_in_org

blp = Blueprint(
    "persons_api",
    __name__,
    url_prefix="/api/v1",
    description="Pseudonymous persons and the conversations held with them.",
)


SUGGESTIONS_BY_POST = N_(
    "Send the alias in the body of a POST to /api/v1/persons/suggestions: an alias in a URL "
    "ends up in access logs."
)


class PageQuerySchema(Schema):
    person_id = fields.UUID()
    visit_id = fields.UUID()
    page = page_field()
    per_page = per_page_field()


ConversationListSchema = list_schema("ConversationList", ConversationOutSchema)


@blp.route("/persons")
class PersonCollection(MethodView):
    @blp.arguments(PersonQuerySchema, location="query")
    @blp.response(200, PersonListSchema)
    def get(self, args):
        """List persons, newest first (audited)."""
        with write_transaction():  # the read writes its audit event
            items, total = queries.list_persons(caller(), **args)
        return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.route("/persons/<uuid:person_id>")
class PersonResource(MethodView):
    @blp.response(200, PersonOutSchema)
    def get(self, person_id: uuid.UUID):
        """Read one person (audited)."""
        with write_transaction():  # the read writes its audit event
            person = queries.read_person(caller(), person_id)
        person = found_or_404(person)
        return with_etag(person, 200, queries.person_etag(person))

    @blp.arguments(PersonInSchema)
    @blp.response(200, PersonOutSchema, description="Replaced, or unchanged when resent.")
    @document_put(blp, PersonOutSchema)
    def put(self, data, person_id: uuid.UUID):
        """Create or replace a person under a client-generated id."""
        return put_answer(services.put_person, queries.person_etag, person_id, data)


@blp.route("/persons/suggestions")
class PersonSuggestions(MethodView):
    # POST, with the alias in the body: in a query string it would reach every access log
    # and proxy on the way (issue 11 item 5). Reading, not writing, apart from the audit event.
    @blp.arguments(SuggestionQuerySchema)
    @blp.response(200, SuggestionSchema(many=True))
    def post(self, args):
        """Persons met before who may be this one, best first (the alias in the body)."""
        with write_transaction():  # the read writes its audit event
            ranked = queries.suggestions(caller(), **args)
        return ranked

    @blp.doc(deprecated=True)
    @blp.alt_response(405, description="Always: send the alias in a POST body.")
    def get(self):
        """Refused: an alias in a URL would be written to access logs; POST it instead."""
        abort(405, message=SUGGESTIONS_BY_POST, headers={"Allow": "POST"})


@blp.route("/conversations")
class ConversationCollection(MethodView):
    # Every conversation's notes at once: not for nurses, whose phone never lists them
    # (docs/security.md). Checked before the query string is read.
    decorators = [role_required("coordinator")]

    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ConversationListSchema)
    @blp.alt_response(403, description="Nurses: no bulk list of conversation notes.")
    def get(self, args):
        """List conversations, newest first (coordinators; audited)."""
        with write_transaction():  # the read writes its audit event
            items, total = queries.list_conversations(caller(), **args)
        return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.route("/conversations/<uuid:conversation_id>")
class ConversationResource(MethodView):
    @blp.response(200, ConversationOutSchema)
    def get(self, conversation_id: uuid.UUID):
        """Read one conversation (audited)."""
        with write_transaction():  # the read writes its audit event
            conversation = queries.read_conversation(caller(), conversation_id)
        conversation = found_or_404(conversation)
        return with_etag(conversation, 200, queries.conversation_etag(conversation))

    @blp.arguments(ConversationInSchema)
    @blp.response(200, ConversationOutSchema, description="Replaced, or unchanged when resent.")
    @document_put(blp, ConversationOutSchema)
    def put(self, data, conversation_id: uuid.UUID):
        """Create or replace a conversation under a client-generated id."""
        return put_answer(
            services.put_conversation, queries.conversation_etag, conversation_id, data
        )


@blp.route("/person-merges")
class PersonMerges(MethodView):
    decorators = [role_required("coordinator")]  # before the body is read

    @blp.arguments(MergeSchema)
    @blp.response(201, MergeOutSchema)
    @blp.alt_response(409, description="Already the same person, or already merged.")
    def post(self, data):
        """Merge a duplicate person into the one to keep (coordinators)."""
        try:
            merge = services.merge_persons(caller(), data["source_id"], data["target_id"])
        except services.MergeError as exc:
            abort(409, message=str(exc))
        db.session.commit()
        return merge


@blp.route("/person-merges/<uuid:merge_id>/undo")
class PersonMergeUndo(MethodView):
    decorators = [role_required("coordinator")]

    @blp.response(200, MergeOutSchema)
    @blp.alt_response(409, description="Already undone.")
    def post(self, merge_id: uuid.UUID):
        """Undo a mistaken merge (coordinators)."""
        found_or_404(get_in_org(PersonMerge, merge_id, caller().organisation_id))
        try:
            merge = services.unmerge_persons(caller(), merge_id)
        except services.MergeError as exc:
            abort(409, message=str(exc))
        except NotAllowed as exc:
            abort(403, message=str(exc))
        db.session.commit()
        return merge
