"""Organisation and Region tables."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.db import UTCDateTime, UUIDPrimaryKey, db, utcnow
from outreach.vocabulary import REGIONS  # binding; the table is seeded by the first migration

REGION_SLUGS = [slug for slug, _, _ in REGIONS]
REGION_NAMES = {slug: name for slug, _, name in REGIONS}


class Region(db.Model):
    __tablename__ = "regions"

    slug: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)


organisation_regions = Table(
    "organisation_regions",
    db.metadata,
    Column("organisation_id", Uuid, ForeignKey("organisations.id"), primary_key=True),
    Column("region_slug", String(20), ForeignKey("regions.slug"), primary_key=True),
)


class Organisation(UUIDPrimaryKey, db.Model):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    # Offices (route bases), supply list, indicator list: edited by coordinators and admins.
    settings: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    # The last change-sequence number handed out (outreach/changes.py).
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    regions: Mapped[list[Region]] = relationship(
        secondary=organisation_regions, order_by=Region.code.desc()
    )

    @property
    def region_slugs(self) -> list[str]:
        return [r.slug for r in self.regions]

    @property
    def team_phone(self) -> str | None:
        """The team's phone number (E.164), kept with the SMS settings: filled into texts,
        and the number a nurse with a revoked phone is told to call."""
        return ((self.settings or {}).get("sms") or {}).get("team_phone")

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"
