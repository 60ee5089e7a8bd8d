"""What a phone pulls: the rows changed after its cursor, in change-sequence order, and the
reference lists it needs offline. Every statement is scoped to the caller's organisation."""

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import inspect

from outreach import vocabulary
from outreach.auth.models import User
from outreach.changes import committed_seq
from outreach.clinics.models import Clinic
from outreach.clinics.queries import last_visits
from outreach.db import db, utcnow
from outreach.orgs.models import Organisation
from outreach.orgs.queries import (
    code_labels,
    code_labels_by_language,
    organisation_lists,
    plausibility_limits,
    usual_pack,
)
from outreach.persons.models import Person, PersonTombstone
from outreach.persons.queries import person_index
from outreach.routing.queries import sync_representation, sync_select
from outreach.tenancy import tenant_select
from outreach.visits.models import Visit

VISIT_HISTORY_DAYS = 400  # the phone shows a clinic's recent visits, not its whole history


def reference_lists(organisation_id) -> dict:
    org = db.session.get(Organisation, organisation_id)
    staff = db.session.scalars(
        tenant_select(User, organisation_id).where(User.active.is_(True)).order_by(User.name)
    )
    return {
        **organisation_lists(organisation_id),
        # Labels also for codes taken off the lists, so old records still read well: in every
        # language, so that the phone can switch language offline; and, for phones older than
        # labels per language, in the caller's language.
        "supply_labels": code_labels(org, "supplies"),
        "indicator_labels": code_labels(org, "indicators"),
        "supply_labels_by_language": code_labels_by_language(org, "supplies"),
        "indicator_labels_by_language": code_labels_by_language(org, "indicators"),
        # The usual most per visit: above it the phone asks before saving.
        "limits": plausibility_limits(org),
        # The usual pack, which the visit form fills in with one tap.
        "pack": usual_pack(org),
        # Who can be on a visit: the organisation's active staff (ids and display names).
        "staff": [{"id": str(u.id), "name": u.display_name} for u in staff],
        # The binding code lists in order (JSON objects lose theirs), and each code's label
        # msgid, which the phone translates with its catalogue, also offline.
        **{name: list(codes) for name, codes in vocabulary.PHONE_LISTS.items()},
        "labels": {name: dict(codes) for name, codes in vocabulary.PHONE_LISTS.items()},
    }


def with_last_visits(organisation_id, clinics: list) -> list:
    """The clinics as read-only copies that also carry each one's last visit time. Read after
    the ceiling like the person index: a visit stored since then gave its clinic a higher
    number (clinics/services.py), so the clinic comes again with the newer date."""
    last = last_visits(organisation_id, [c.id for c in clinics])
    columns = [attr.key for attr in inspect(Clinic).column_attrs]
    return [
        SimpleNamespace(**{key: getattr(c, key) for key in columns}, last_visit_at=last.get(c.id))
        for c in clinics
    ]


def pull(user, cursor: int, limit: int) -> dict:
    """Changes after `cursor`, oldest first, at most `limit` records; `more` says whether the
    limit cut the answer. Reads only: the caller audits a pull that carries persons.

    The counter's committed value is read first and bounds every later read: each number up
    to it belongs to a transaction that has ended, so the pull hands out only numbers that are
    final, whatever commits while its other statements run (docs/sync-protocol.md)."""
    org_id = user.organisation_id
    ceiling = committed_seq(org_id)
    since = utcnow() - timedelta(days=VISIT_HISTORY_DAYS)
    queries = {
        "clinics": tenant_select(Clinic, org_id),
        "visits": tenant_select(Visit, org_id).where(Visit.started_at >= since),
        "persons": tenant_select(Person, org_id),
        "route_plans": sync_select(org_id),
    }
    if cursor > 0:
        # Persons the retention purge deleted since the cursor: the phone drops them. A phone
        # pulling from 0 starts empty and has nothing to drop.
        queries["deleted_persons"] = tenant_select(PersonTombstone, org_id)
    changed = []
    for kind, stmt in queries.items():
        model = stmt.column_descriptions[0]["entity"]
        rows = db.session.scalars(
            stmt.where(model.sync_seq > cursor, model.sync_seq <= ceiling)
            .order_by(model.sync_seq)
            .limit(limit + 1)
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
        "deleted_persons": [],
        "reference": reference_lists(org_id),
    }
    person_ids = set()
    for _, kind, row in changed:
        if kind == "persons":
            person_ids.add(str(row.id))
        elif kind == "route_plans":
            answer[kind].append(sync_representation(row, user))
        elif kind == "deleted_persons":
            answer[kind].append(str(row.person_id))
        else:
            answer[kind].append(row)
    if answer["clinics"]:
        answer["clinics"] = with_last_visits(org_id, answer["clinics"])
    if person_ids:
        index = {p["id"]: p for p in person_index(org_id, include_merged=True)}
        answer["persons"] = [index[pid] for pid in sorted(person_ids) if pid in index]
    return answer
