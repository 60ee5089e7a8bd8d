"""Phone-number groups (issue 14): every lead, clinic and SMS contact of an organisation with
one number is one group, found by the number's keyed look-up hash (outreach/phones.py), never
by the number in clear text.

The records live in three features of different layers (clinics below leads below sms), and
the group is shown on pages of the lower ones too: the clinic page shows the texts sent to
its number. So each feature registers here, where every layer may look, a Source of what it
holds of a number (its queries module does, when it is imported: the app factory imports them
all), and this module, which imports no feature, only asks them and merges the parts. A group
is two records or more.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Part:
    """What one feature holds of a number: how many records, the newest one's time, what the
    group's sentence says of them (`facts`, by name), and the records themselves (loaded for
    the groups that are shown)."""

    count: int
    newest: datetime | None = None
    facts: dict = field(default_factory=dict)
    members: list = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    kind: str
    # (organisation id, look-up hashes or None for all) -> {look-up hash: Part without members}
    counts: Callable[[object, Sequence[str] | None], dict[str, Part]]
    # (organisation id, look-up hashes) -> {look-up hash: [records]}
    members: Callable[[object, Sequence[str]], dict[str, list]]
    # Whether a record of this kind is a place where the number appears (an ad, a clinic),
    # rather than a contact with it (a text): "largest" counts places first.
    places: bool = True


# The kinds in the order pages show them; a source registers under one of these.
KINDS = ("leads", "clinics", "sms")
_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    if source.kind not in KINDS:
        raise ValueError(f"unknown kind of phone-group member: {source.kind}")
    _SOURCES[source.kind] = source


def registered() -> tuple[str, ...]:
    return tuple(kind for kind in KINDS if kind in _SOURCES)


@dataclass
class PhoneGroup:
    phone_lookup: str
    parts: dict[str, Part] = field(default_factory=dict)

    def part(self, kind: str) -> Part:
        return self.parts.get(kind) or Part(0)

    @property
    def size(self) -> int:
        return sum(part.count for part in self.parts.values())

    @property
    def places(self) -> int:
        return sum(
            part.count
            for kind, part in self.parts.items()
            if kind in _SOURCES and _SOURCES[kind].places
        )

    @property
    def newest(self) -> datetime | None:
        times = [part.newest for part in self.parts.values() if part.newest]
        return max(times) if times else None

    @property
    def phone(self) -> str | None:
        """The number in clear text (E.164), from the first member that has it."""
        for kind in KINDS:
            for member in self.part(kind).members:
                if getattr(member, "phone", None):
                    return member.phone
        return None


def _counts(organisation_id, lookups: Sequence[str] | None) -> dict[str, PhoneGroup]:
    groups: dict[str, PhoneGroup] = {}
    for kind in registered():
        for lookup, part in _SOURCES[kind].counts(organisation_id, lookups).items():
            groups.setdefault(lookup, PhoneGroup(lookup)).parts[kind] = part
    return groups


def _load_members(organisation_id, groups: Sequence[PhoneGroup]) -> None:
    if not groups:
        return
    by_lookup = {group.phone_lookup: group for group in groups}
    for kind in registered():
        kept = [lookup for lookup, group in by_lookup.items() if kind in group.parts]
        if kept:
            for lookup, rows in _SOURCES[kind].members(organisation_id, kept).items():
                by_lookup[lookup].parts[kind].members = rows


def phone_group(organisation_id, phone_lookup: str | None) -> PhoneGroup | None:
    """The group of one number with its members, or None when the number is nobody else's."""
    if not phone_lookup:
        return None
    group = _counts(organisation_id, [phone_lookup]).get(phone_lookup)
    if group is None or group.size < 2:
        return None
    _load_members(organisation_id, [group])
    return group


CHUNK = 500  # look-up hashes per IN list


def sizes(organisation_id, lookups: Sequence[str]) -> dict[str, int]:
    """{look-up hash: how many records of the organisation have that number} (the lead
    export's group size: 1 when the number is nobody else's), without loading members."""
    wanted = sorted(set(lookups))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update({lookup: g.size for lookup, g in _counts(organisation_id, chunk).items()})
    return found


def group_of(record) -> PhoneGroup | None:
    """The group of a lead's, a clinic's or an SMS contact's number."""
    return phone_group(record.organisation_id, record.phone_lookup)


OLDEST = datetime.min.replace(tzinfo=UTC)


def phone_groups(organisation_id, *, order: str = "largest", limit: int = 50) -> list[PhoneGroup]:
    """The groups of the organisation with their members: the largest first (the most places
    the number appears, ads and clinics, then the most records, then the newest), or the
    newest first (the latest record of any kind)."""
    groups = [g for g in _counts(organisation_id, None).values() if g.size >= 2]
    if order == "newest":
        groups.sort(key=lambda g: (g.newest or OLDEST, g.size), reverse=True)
    else:
        groups.sort(key=lambda g: (g.places, g.size, g.newest or OLDEST), reverse=True)
    groups = groups[:limit]
    _load_members(organisation_id, groups)
    return groups
