"""Supply and indicator labels per language: {code: {language: label}} in the organisations'
settings, instead of one string per code.

A plain string becomes the label of the default language (DEFAULT_LOCALE, Danish unless set);
the other language gets the built-in label of a known code, else the same string. Labels that
already have languages are left as they are, so running it again changes nothing. The
downgrade keeps the default language's label.

Revision ID: 7c2e5d1a9b40
Revises: 7c2e4f6a8b10
Create Date: 2026-12-08 10:12:40.118203

"""

from alembic import op
from flask import current_app
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7c2e5d1a9b40"
down_revision = "7c2e4f6a8b10"
branch_labels = None
depends_on = None

LANGUAGES = ("da", "en")
LABEL_KEYS = ("supply_labels", "indicator_labels")
# The built-in labels of the known codes as they are at this revision (vocabulary.KNOWN_SUPPLIES,
# KNOWN_INDICATORS and their Danish translations), frozen here so that later changes to the
# vocabulary do not change what this migration did.
BUILT_IN = {
    "supply_labels": {
        "condoms": {"da": "Kondomer", "en": "Condoms"},
        "lubricant": {"da": "Glidecreme", "en": "Lubricant"},
        "sti_test": {"da": "Kønssygdomstest", "en": "STI test"},
        "leaflet_th": {"da": "Folder (thai)", "en": "Leaflet (Thai)"},
        "leaflet_ro": {"da": "Folder (rumænsk)", "en": "Leaflet (Romanian)"},
        "leaflet_es": {"da": "Folder (spansk)", "en": "Leaflet (Spanish)"},
        "leaflet_en": {"da": "Folder (engelsk)", "en": "Leaflet (English)"},
    },
    "indicator_labels": {
        "lives_at_workplace": {"da": "Bor på arbejdsstedet", "en": "Lives at the workplace"},
        "no_own_passport": {"da": "Har ikke selv sit pas", "en": "Does not hold own passport"},
        "debt": {"da": "Gæld", "en": "Debt"},
        "not_free_to_leave": {"da": "Kan ikke frit gå", "en": "Not free to leave"},
        "signs_of_violence": {"da": "Tegn på vold", "en": "Signs of violence"},
        "very_young": {"da": "Meget ung", "en": "Very young"},
        "unprotected_sex_demanded": {
            "da": "Krav om sex uden kondom",
            "en": "Unprotected sex demanded",
        },
    },
}

organisations = sa.table(
    "organisations", sa.column("id", sa.Uuid()), sa.column("settings", sa.JSON())
)


def _default_language() -> str:
    language = current_app.config.get("DEFAULT_LOCALE", "da")
    return language if language in LANGUAGES else "da"


def _per_language(key: str, code: str, label, default: str):
    if not isinstance(label, str):
        return label  # already per language (or not a label at all): left as it is
    built_in = BUILT_IN[key].get(code, {})
    return {
        language: label if language == default else built_in.get(language, label)
        for language in LANGUAGES
    }


def _one_string(label, default: str):
    if not isinstance(label, dict):
        return label
    return label.get(default) or next((text for text in label.values() if text), "")


def _rewrite(change) -> None:
    default = _default_language()
    connection = op.get_bind()
    for org_id, settings in connection.execute(sa.select(organisations.c.id, organisations.c.settings)):
        if not settings:
            continue
        new = dict(settings)
        for key in LABEL_KEYS:
            labels = settings.get(key)
            if isinstance(labels, dict):
                new[key] = {code: change(key, code, label, default) for code, label in labels.items()}
        if new != settings:
            connection.execute(
                organisations.update().where(organisations.c.id == org_id).values(settings=new)
            )


def upgrade():
    _rewrite(_per_language)


def downgrade():
    _rewrite(lambda key, code, label, default: _one_string(label, default))
