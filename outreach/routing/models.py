"""Route plan tables: a planned day, its routes (one per nurse) and their ordered stops."""

import datetime as dt
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.changes import Synced
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db

PLAN_STATUSES = ("draft", "saved")
# A deleted plan that phones may still hold: kept, without routes, only so that their next
# pull drops it (a plan without routes leaves the phone); no page or list shows it.
DELETED = "gone"


class RoutePlan(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    __tablename__ = "route_plans"
    __table_args__ = (
        Index("ix_route_plans_org_date", "organisation_id", "date"),
        Index("ix_route_plans_org_sync", "organisation_id", "sync_seq"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(5), default="draft", nullable=False)
    base_name: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    base_lat: Mapped[float] = mapped_column(Float, nullable=False)
    base_lon: Mapped[float] = mapped_column(Float, nullable=False)
    # Local wall-clock times "HH:MM" of the plan's date (Europe/Copenhagen).
    shift_start: Mapped[str] = mapped_column(String(5), nullable=False)
    shift_end: Mapped[str] = mapped_column(String(5), nullable=False)
    # The lunch break lies inside [break_start, break_end] and lasts break_minutes; all three
    # are null when the day has no break.
    break_start: Mapped[str | None] = mapped_column(String(5))
    break_end: Mapped[str | None] = mapped_column(String(5))
    break_minutes: Mapped[int | None] = mapped_column(Integer)
    service_minutes: Mapped[int] = mapped_column(Integer, default=40, nullable=False)
    nurse_count: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # Named nurses (user ids as strings), route i goes to staff[i]; empty when planned by count.
    staff: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # Where the candidates come from: region slugs, or a polygon [[lat, lon], ...] on the map.
    regions: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    area: Mapped[list | None] = mapped_column(JSON)
    # The clinics to plan for (ids as strings), as the coordinator left the candidate list.
    clinic_ids: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # [{"clinic_id": "...", "reason": "closed_that_day"}, ...] after optimising.
    unassigned: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    travel_model: Mapped[str | None] = mapped_column(String(120))
    # A trip of several days: [{"date", "shift_start", "shift_end", "night": {"name", "lat",
    # "lon"} or None on the last day}], day 0 first (its date and shift are also `date` and
    # `shift_*`); the base above is home, where the first day starts and the last one ends.
    # Null for a plan of one day.
    days: Mapped[list | None] = mapped_column(JSON)
    end_date: Mapped[dt.date | None] = mapped_column(Date)  # a trip's last day
    optimised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    saved_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))

    routes: Mapped[list["PlannedRoute"]] = relationship(
        back_populates="plan",
        order_by="PlannedRoute.position",
        cascade="all, delete-orphan",
    )

    @property
    def has_break(self) -> bool:
        return bool(self.break_minutes and self.break_start and self.break_end)

    @property
    def is_trip(self) -> bool:
        return bool(self.days)

    def __repr__(self) -> str:
        return f"<RoutePlan {self.date} {self.status}>"


class PlannedRoute(UUIDPrimaryKey, db.Model):
    """One nurse's day: leave the base, visit the stops in order, come back."""

    __tablename__ = "route_plan_routes"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("route_plans.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # The solver's vehicle number: with named staff, staff[vehicle] drives this route.
    vehicle: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The day of a trip this route is driven on (0: the first; always 0 for a single day).
    day: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    nurse_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The break is taken after driving to stop number break_position (0-based; equal to the
    # number of stops: back at the base).
    break_position: Mapped[int | None] = mapped_column(Integer)
    break_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    break_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    distance_km: Mapped[float] = mapped_column(Float, default=0, nullable=False)
    drive_minutes: Mapped[float] = mapped_column(Float, default=0, nullable=False)
    # Route-wide problems found by the check after a hand re-order: [{"kind", "minutes"}].
    violations: Mapped[list] = mapped_column(JSON, default=list, nullable=False)

    plan: Mapped[RoutePlan] = relationship(back_populates="routes")
    stops: Mapped[list["RouteStop"]] = relationship(
        back_populates="route",
        order_by="RouteStop.position",
        cascade="all, delete-orphan",
    )

    def wait_minutes(self, position: int) -> float:
        """Minutes waited on site before visit `position` starts: the time from reaching it to
        the visit, less a lunch break taken there (the break is not waiting)."""
        stop = self.stops[position]
        seconds = (stop.arrival_at - stop.reached_at).total_seconds()
        if self.break_start_at is not None and self.break_position == position:
            seconds -= (self.break_end_at - self.break_start_at).total_seconds()
        return round(max(0.0, seconds) / 60, 1)


class RouteStop(UUIDPrimaryKey, db.Model):
    __tablename__ = "route_stops"
    __table_args__ = (UniqueConstraint("route_id", "position"),)

    route_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("route_plan_routes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id"), nullable=False)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    arrival_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # visit starts
    departure_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # visit ends
    distance_km: Mapped[float] = mapped_column(Float, default=0, nullable=False)  # leg to here
    drive_minutes: Mapped[float] = mapped_column(Float, default=0, nullable=False)
    violations: Mapped[list] = mapped_column(JSON, default=list, nullable=False)

    route: Mapped[PlannedRoute] = relationship(back_populates="stops")
    clinic = relationship("Clinic")
