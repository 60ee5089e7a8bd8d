"""/api/v1/sync: everything the phone keeps that changed since its cursor."""

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from outreach import vocabulary
from outreach.apiutil import Blueprint, caller
from outreach.audit.services import record
from outreach.clinics.schemas import ClinicSyncSchema
from outreach.db import write_transaction
from outreach.i18n import LANGUAGES
from outreach.inputs import Integer
from outreach.paging import MAX_CURSOR
from outreach.routing.schemas import RoutePlanSyncSchema
from outreach.sync import queries
from outreach.visits.schemas import VisitOutSchema

blp = Blueprint(
    "sync_api",
    __name__,
    url_prefix="/api/v1/sync",
    description="Pull for the field app: changes after a server-issued cursor.",
)


class PullQuerySchema(Schema):
    cursor = Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_CURSOR),
        metadata={"description": "The cursor of the previous answer; 0 for everything."},
    )
    limit = Integer(load_default=500, validate=validate.Range(min=1, max=2000))


class PersonIndexSchema(Schema):
    id = fields.String()
    alias = fields.String()
    nationality = fields.String(allow_none=True)
    birth_year = Integer(allow_none=True)
    gender = fields.String()
    recent_clinic_ids = fields.List(fields.String())
    # For the suggestion cards: when and where she was last met, and how often (merged
    # records counted together).
    last_met_at = fields.String(allow_none=True, metadata={"description": "ISO time, UTC."})
    last_clinic_id = fields.String(allow_none=True)
    conversations = Integer()
    merged_into_id = fields.String(allow_none=True)


def _code_list(name: str) -> fields.List:
    codes = vocabulary.PHONE_LISTS[name]
    return fields.List(
        fields.String(validate=validate.OneOf(codes)),
        metadata={"description": f"The `{name}` codes in display order; labels in `labels`."},
    )


def _labels_by_language(kind: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(LANGUAGES)), values=fields.String()
        ),
        metadata={
            "description": f"The organisation's label of each {kind} code in every language of "
            f"the app, `{{code: {{language: label}}}}`, with the fallbacks filled in: a known "
            "code's built-in label, else the label in the organisation's default language."
        },
    )


ReferenceSchema = Schema.from_dict(
    {
        "supplies": fields.List(
            fields.String(), metadata={"description": "The organisation's supply codes."}
        ),
        "indicators": fields.List(
            fields.String(), metadata={"description": "The organisation's indicator codes."}
        ),
        "supply_labels": fields.Dict(
            keys=fields.String(),
            values=fields.String(),
            metadata={
                "description": "The organisation's label of each supply code in the caller's "
                "language (kept for phones older than `supply_labels_by_language`)."
            },
        ),
        "indicator_labels": fields.Dict(
            keys=fields.String(),
            values=fields.String(),
            metadata={
                "description": "The organisation's label of each indicator code in the "
                "caller's language (kept for phones older than `indicator_labels_by_language`)."
            },
        ),
        "supply_labels_by_language": _labels_by_language("supply"),
        "indicator_labels_by_language": _labels_by_language("indicator"),
        "limits": fields.Nested(
            Schema.from_dict(
                {
                    "persons_present": Integer(),
                    "supplies": fields.Dict(keys=fields.String(), values=Integer()),
                },
                name="UsualMost",
            ),
            metadata={
                "description": "The organisation's usual most per visit: persons present and "
                "each supply code. A higher number is stored with a warning; the phone asks "
                "the nurse first and sends `confirmed_unusual` (docs/plausibility.md)."
            },
        ),
        "pack": fields.Dict(
            keys=fields.String(),
            values=Integer(),
            metadata={
                "description": "The usual pack: what the team hands out on an ordinary visit, "
                "per supply code; the phone fills it in with one tap. Empty until set."
            },
        ),
        "staff": fields.List(
            fields.Dict(keys=fields.String(), values=fields.String()),
            metadata={"description": "Active staff who can be on a visit: `id` and `name`."},
        ),
        **{name: _code_list(name) for name in vocabulary.PHONE_LISTS},
        "labels": fields.Dict(
            keys=fields.String(validate=validate.OneOf(vocabulary.PHONE_LISTS)),
            values=fields.Dict(keys=fields.String(), values=fields.String()),
            metadata={
                "description": "For each code list above, `{code: label msgid}`: English "
                "msgids that the phone translates with its catalogue (/field/i18n/<lang>.json)."
            },
        ),
    },
    name="Reference",
)


class PullSchema(Schema):
    cursor = Integer(metadata={"description": "Send this as `cursor` next time."})
    more = fields.Boolean(
        metadata={"description": "True when the limit cut the answer: pull again at once."}
    )
    clinics = fields.List(fields.Nested(ClinicSyncSchema))
    visits = fields.List(fields.Nested(VisitOutSchema))
    persons = fields.List(fields.Nested(PersonIndexSchema))
    reference = fields.Nested(ReferenceSchema)
    deleted_persons = fields.List(
        fields.String(),
        metadata={
            "description": "Ids of persons deleted since `cursor` by the retention purge "
            "(no contact for the organisation's number of years): drop them."
        },
    )
    route_plans = fields.List(
        fields.Nested(RoutePlanSyncSchema),
        metadata={
            "description": "Today's and later plans: your own routes (all for "
            "coordinators); a plan without routes is withdrawn."
        },
    )


@blp.route("")
class Pull(MethodView):
    @blp.arguments(PullQuerySchema, location="query")
    @blp.response(200, PullSchema)
    def get(self, args):
        """Changes after `cursor`, oldest first, at most `limit` records."""
        user = caller()
        answer = queries.pull(user, args["cursor"], args["limit"])
        if answer["persons"] or answer["visits"]:
            # The phone's person index is person data, and visits carry notes and police
            # notes: every pull that carries either is audited, with how many of each.
            with write_transaction():
                record(
                    "sync.pull",
                    user=user,
                    object_type="persons",
                    count=len(answer["persons"]),
                    visits=len(answer["visits"]),
                )
        return answer
