"""The retention tests' dataset: the report tests' hand-built 2018-2020 (tests/reports/dataset.py)
seen from January 2025, with the default five years: the cut-off is 15 January 2020.

Deleted (no conversation since the cut-off): A, B, C, J, I, and F with G merged into her.
Kept: H (met again in 2023: her 2019 and 2020 conversations stay); E, whose merged record D
was met in 2024 (the group is judged by its newest conversation: E's 2018 conversation stays).
Visit notes: v1, v2 (a police note) and v7 (1 January 2020) are older than the cut-off and
emptied; the 2023 visit keeps its note. The other organisation keeps ten years: untouched.
"""

from dataclasses import dataclass

import pytest

from outreach.db import db
from outreach.orgs.services import set_retention_years
from tests.reports.dataset import Dataset, build, local

NOW = local(2025, 1, 15, 3)  # the cut-off: 2020-01-15 03:00 Copenhagen time
DELETED = ("A", "B", "C", "F", "G", "I", "J")
KEPT = ("D", "E", "H")
OLD_NOTES = ("v1", "v2", "v7")


@dataclass
class RetentionData:
    data: Dataset
    recent_visit: object

    def __getattr__(self, name):
        return getattr(self.data, name)


@pytest.fixture
def retention_data(factory, org, other_org, coordinator) -> RetentionData:
    data = build(factory, org, other_org, coordinator)
    p, v = data.persons, data.visits
    recent = factory.visit(data.clinics["M1"], local(2023, 5, 5, 10), notes="recent visit note")
    factory.conversation(p["H"], recent, notes="recent conversation note")
    factory.conversation(p["D"], occurred_at=local(2024, 2, 2, 12))
    v["v1"].notes = "old visit note"
    v["v2"].police_note = "old police note"
    v["v7"].notes = "visit note of new year's night"
    set_retention_years(other_org, 10)
    db.session.flush()
    return RetentionData(data, recent)
