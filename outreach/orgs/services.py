"""Creating organisations and their settings."""

from sqlalchemy import select

from outreach.audit.services import record
from outreach.db import db
from outreach.orgs.models import REGION_SLUGS, Organisation, Region


class OrganisationError(ValueError):
    pass


def find_organisation(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.name == name.strip()))


def create_organisation(
    name: str, region_slugs: list[str], settings: dict | None = None, actor=None
) -> Organisation:
    name = name.strip()
    if not name:
        raise OrganisationError("Give the organisation a name.")
    if find_organisation(name):
        raise OrganisationError(f"An organisation named {name!r} already exists.")
    unknown = [s for s in region_slugs if s not in REGION_SLUGS]
    if unknown:
        raise OrganisationError(
            f"Unknown region {', '.join(unknown)}; use {', '.join(REGION_SLUGS)}."
        )
    if not region_slugs:
        raise OrganisationError("Give at least one region with --region.")
    regions = db.session.scalars(select(Region).where(Region.slug.in_(region_slugs))).all()
    if len(regions) != len(set(region_slugs)):
        raise OrganisationError("The regions are not in the database; run `flask db upgrade`.")
    org = Organisation(name=name, settings=settings or {}, regions=list(regions))
    db.session.add(org)
    db.session.flush()
    record(
        "organisation.create",
        user=actor,
        organisation_id=org.id,
        obj=org,
        regions=sorted(region_slugs),
    )
    return org
