"""/api/v1/sync: everything the phone keeps that changed since its cursor."""

from datetime import timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from outreach import vocabulary
from outreach.apiutil import caller
from outreach.audit.services import record
from outreach.clinics.models import Clinic
from outreach.clinics.schemas import ClinicOutSchema
from outreach.db import db, utcnow
from outreach.paging import MAX_CURSOR
from outreach.persons.models import Person
from outreach.persons.services import person_index
from outreach.routing.schemas import RoutePlanSyncSchema
from outreach.routing.services import sync_representation, sync_select
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitOutSchema
from outreach.visits.services import organisation_lists

blp = Blueprint(
    "sync_api",
    __name__,
    url_prefix="/api/v1/sync",
    description="Pull for the field app: changes after a server-issued cursor.",
)

VISIT_HISTORY_DAYS = 400  # the phone shows a clinic's recent visits, not its whole history


class PullQuerySchema(Schema):
    cursor = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_CURSOR),
        metadata={"description": "The cursor of the previous answer; 0 for everything."},
    )
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))


class PersonIndexSchema(Schema):
    id = fields.String()
    alias = fields.String()
    nationality = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    gender = fields.String()
    recent_clinic_ids = fields.List(fields.String())
    merged_into_id = fields.String(allow_none=True)


def _code_list(name: str) -> fields.List:
    codes = vocabulary.PHONE_LISTS[name]
    return fields.List(
        fields.String(validate=validate.OneOf(codes)),
        metadata={"description": f"The `{name}` codes in display order; labels in `labels`."},
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
            metadata={"description": "The organisation's own label of each supply code."},
        ),
        "indicator_labels": fields.Dict(
            keys=fields.String(),
            values=fields.String(),
            metadata={"description": "The organisation's own label of each indicator code."},
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
    cursor = fields.Integer(metadata={"description": "Send this as `cursor` next time."})
    more = fields.Boolean(
        metadata={"description": "True when the limit cut the answer: pull again at once."}
    )
    clinics = fields.List(fields.Nested(ClinicOutSchema))
    visits = fields.List(fields.Nested(VisitOutSchema))
    persons = fields.List(fields.Nested(PersonIndexSchema))
    reference = fields.Nested(ReferenceSchema)
    route_plans = fields.List(
        fields.Nested(RoutePlanSyncSchema),
        metadata={
            "description": "Today's and later plans: your own routes (all for "
            "coordinators); a plan without routes is withdrawn."
        },
    )


def reference_lists(organisation_id) -> dict:
    from outreach.auth.models import User
    from outreach.orgs.models import Organisation
    from outreach.orgs.services import code_labels
    from outreach.tenancy import tenant_select

    org = db.session.get(Organisation, organisation_id)
    staff = db.session.scalars(
        tenant_select(User, organisation_id).where(User.active.is_(True)).order_by(User.name)
    )
    return {
        **organisation_lists(organisation_id),
        # Labels also for codes taken off the lists, so old records still read well.
        "supply_labels": code_labels(org, "supplies"),
        "indicator_labels": code_labels(org, "indicators"),
        # Who can be on a visit: the organisation's active staff (ids and display names).
        "staff": [{"id": str(u.id), "name": u.display_name} for u in staff],
        # The binding code lists in order (JSON objects lose theirs), and each code's label
        # msgid, which the phone translates with its catalogue, also offline.
        **{name: list(codes) for name, codes in vocabulary.PHONE_LISTS.items()},
        "labels": {name: dict(codes) for name, codes in vocabulary.PHONE_LISTS.items()},
    }


@blp.route("")
class Pull(MethodView):
    @blp.arguments(PullQuerySchema, location="query")
    @blp.response(200, PullSchema)
    def get(self, args):
        """Changes after `cursor`, oldest first, at most `limit` records."""
        user = caller()
        org_id = user.organisation_id
        cursor, limit = args["cursor"], args["limit"]
        since = utcnow() - timedelta(days=VISIT_HISTORY_DAYS)
        queries = {
            "clinics": select(Clinic).where(Clinic.organisation_id == org_id),
            "visits": select(Visit).where(
                Visit.organisation_id == org_id, Visit.started_at >= since
            ),
            "persons": select(Person).where(Person.organisation_id == org_id),
            "route_plans": sync_select(org_id),
        }
        changed = []
        for kind, stmt in queries.items():
            model = stmt.column_descriptions[0]["entity"]
            rows = db.session.scalars(
                stmt.where(model.sync_seq > cursor).order_by(model.sync_seq).limit(limit + 1)
            )
            changed.extend((row.sync_seq, kind, row) for row in rows)
        changed.sort(key=lambda item: item[0])
        more = len(changed) > limit
        changed = changed[:limit]
        answer = {
            "cursor": changed[-1][0] if changed else cursor,
            "more": more,
            "clinics": [],
            "visits": [],
            "persons": [],
            "route_plans": [],
            "reference": reference_lists(org_id),
        }
        person_ids = set()
        for _, kind, row in changed:
            if kind == "persons":
                person_ids.add(str(row.id))
            elif kind == "route_plans":
                answer[kind].append(sync_representation(row, user))
            else:
                answer[kind].append(row)
        if person_ids:
            index = {p["id"]: p for p in person_index(org_id, include_merged=True)}
            answer["persons"] = [index[pid] for pid in sorted(person_ids) if pid in index]
            # The phone's person index is person data: every pull that carries it is audited.
            record("sync.pull", user=caller(), object_type="persons", count=len(answer["persons"]))
            db.session.commit()
        return answer
