"""outreach/vocabulary.py is the one home of the code lists: its codes are the binding ones,
each fits its column and no database constraint lists them, and a value added there reaches
the API, the pages, the reports and the phone with no other file changed but the catalogue."""

import re
import uuid

import sqlalchemy as sa

from outreach import vocabulary
from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.persons.models import Conversation, Person
from outreach.visits.models import Visit

# DESIGN.md §2 and §4, copied by hand on purpose: changing one of these breaks the contract.
BINDING = {
    "CLINIC_KINDS": ["massage_clinic", "apartment", "mobile_home", "motel", "street", "other"],
    "CLINIC_STATUSES": ["active", "closed", "unknown"],
    "WEEKDAYS": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "VISIT_OUTCOMES": ["admitted", "not_admitted"],
    "NOT_ADMITTED_REASONS": ["no_answer", "refused", "closed", "moved", "other"],
    "CONCERN_LEVELS": ["green", "yellow", "red"],
    "GENDERS": ["woman", "trans_woman", "man", "trans_man", "non_binary", "unknown"],
    "CHANNELS": ["visit", "phone", "sms", "drop_in", "other"],
    "ROLES": ["nurse", "coordinator", "admin"],
}

# The column each code list is stored in.
COLUMNS = [
    (vocabulary.CLINIC_KINDS, Clinic.kind),
    (vocabulary.CLINIC_STATUSES, Clinic.status),
    (vocabulary.CLINIC_SOURCES, Clinic.source),
    (vocabulary.REGION_SOURCES, Clinic.region_source),
    (vocabulary.GEOCODE_STATUSES, Clinic.geocode_status),
    (vocabulary.VISIT_OUTCOMES, Visit.outcome),
    (vocabulary.NOT_ADMITTED_REASONS, Visit.not_admitted_reason),
    (vocabulary.CONCERN_LEVELS, Visit.concern_level),
    (vocabulary.CONCERN_LEVELS, Conversation.concern_level),
    (vocabulary.GENDERS, Person.gender),
    (vocabulary.CHANNELS, Conversation.channel),
    (vocabulary.REFERRALS, Conversation.referral),
    (vocabulary.ROLES, User.role),
]


def test_the_binding_codes_are_the_designs_in_order():
    for name, codes in BINDING.items():
        assert list(getattr(vocabulary, name)) == codes, name
    assert [slug for slug, _, _ in vocabulary.REGIONS] == [
        "hovedstaden",
        "sjaelland",
        "syddanmark",
        "midtjylland",
        "nordjylland",
    ]


def test_every_code_fits_its_column_so_a_new_one_needs_no_migration():
    """A longer code than its column holds is the one case where a new value needs one."""
    for codes, column in COLUMNS:
        length = column.property.columns[0].type.length
        assert max(len(code) for code in codes) <= length, column


def test_no_database_constraint_or_enum_lists_the_codes():
    code_columns = {(column.table.name, column.name) for _, column in COLUMNS}
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                named = {
                    (table.name, c.name) for c in table.columns if c.name in str(constraint.sqltext)
                }
                assert not named & code_columns, constraint.sqltext
        for column in table.columns:
            assert (
                not isinstance(column.type, sa.Enum)
                or (table.name, column.name) not in code_columns
            )


def test_every_code_has_a_label_msgid():
    for name in dir(vocabulary):
        codes = getattr(vocabulary, name)
        if name.isupper() and isinstance(codes, dict) and name != "PHONE_LISTS":
            assert codes and all(isinstance(m, str) and m for m in codes.values()), name


def test_a_label_is_in_the_language_of_the_page(app):
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("da"):
            assert vocabulary.label(vocabulary.CLINIC_KINDS, "massage_clinic") == "Massageklinik"
        with force_locale("en"):
            assert vocabulary.label(vocabulary.CLINIC_KINDS, "massage_clinic") == "Massage clinic"
        assert vocabulary.label(vocabulary.CLINIC_KINDS, "not_a_kind") == "not_a_kind"
        assert vocabulary.label(vocabulary.CLINIC_KINDS, None) == "–"


def test_a_clinic_kind_added_to_the_vocabulary_reaches_the_api_the_pages_and_the_phone(
    monkeypatch, coordinator_client
):
    """The claim of docs/vocabulary.md: adding a kind touches vocabulary.py and the Danish
    catalogue (tests/test_i18n.py fails until the label is translated), nothing else."""
    monkeypatch.setitem(vocabulary.CLINIC_KINDS, "sauna", "Sauna")
    clinic_id = uuid.uuid4()

    answer = coordinator_client.put(
        f"/api/v1/clinics/{clinic_id}", json={"name": "Sauna Nord", "kind": "sauna"}
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["kind"] == "sauna"

    form = coordinator_client.get("/clinics/new").get_data(as_text=True)
    assert re.search(r'<option value="sauna">\s*Sauna\s*</option>', form)
    listing = coordinator_client.get("/clinics/?kind=sauna").get_data(as_text=True)
    assert "Sauna Nord" in listing

    reference = coordinator_client.get("/api/v1/sync").json["reference"]
    assert reference["clinic_kinds"][-1] == "sauna"
    assert reference["labels"]["clinic_kinds"]["sauna"] == "Sauna"
    assert "Sauna" in coordinator_client.get("/field/i18n/da.json").json
