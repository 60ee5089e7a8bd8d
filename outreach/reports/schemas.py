"""Report JSON schemas: they validate the query strings and generate the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, post_load, validate

from outreach.i18n import N_
from outreach.inputs import Integer
from outreach.orgs.models import REGION_SLUGS
from outreach.reports.exports import SEPARATORS, TABLE_NAMES
from outreach.reports.figures import FIRST_YEAR, last_valid_year

SOURCES = ("live", "snapshot")


def validate_year(year: int) -> None:
    latest = last_valid_year()
    if not FIRST_YEAR <= year <= latest:
        raise ValidationError(
            f"Give a year from {FIRST_YEAR} to {latest}."
        )  # i18n.MESSAGE_PATTERNS


class _ReportQuerySchema(Schema):
    year = Integer(
        required=True,
        validate=validate_year,
        metadata={
            "description": f"Calendar year in Danish time, {FIRST_YEAR} to next year.",
            "minimum": FIRST_YEAR,
            "maximum": last_valid_year(),
        },
    )
    region = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([*REGION_SLUGS, ""], error=N_("Unknown region.")),
        metadata={
            "description": "A region slug of your organisation: figures of visits to that "
            "region's clinics and of conversations held in them. Empty or absent: all."
        },
    )
    source = fields.String(
        load_default="live",
        validate=validate.OneOf(SOURCES),
        metadata={
            "description": "live: computed now (default), except for a period whose "
            "person-level data the retention purge deleted, which is read from the snapshot "
            "sealed before the purge (X-Report-Source: snapshot). snapshot: the figures stored "
            "by the nightly snapshot job; 404 when none was stored. The X-Report-Computed-At "
            "header says when."
        },
    )

    @post_load
    def _empty_region_is_all(self, data, **kwargs):
        if data.get("region") == "":
            data["region"] = None
        return data


class AnnualQuerySchema(_ReportQuerySchema):
    pass


class AnnualCsvQuerySchema(AnnualQuerySchema):
    table = fields.String(
        load_default="regions",
        validate=validate.OneOf(TABLE_NAMES),
        metadata={
            "description": "Which table: regions (default: every region and the whole "
            "organisation, the figures of the JSON but the months), figures, months, "
            "nationalities, genders, supplies, concern."
        },
    )
    separator = fields.String(
        load_default=None,
        validate=validate.OneOf(list(SEPARATORS)),
        metadata={
            "description": "semicolon: ';' between cells and decimal commas, as Danish Excel "
            "opens it; comma: ',' and decimal points. Default: semicolon for a user whose "
            "language is Danish, else comma."
        },
    )


class MonthlyQuerySchema(_ReportQuerySchema):
    month = Integer(required=True, validate=validate.Range(min=1, max=12))


class _Figures(Schema):
    visits = Integer(metadata={"description": "Visits started in the period."})
    clinics_visited = Integer(metadata={"description": "Distinct clinics among them."})
    admitted_visits = Integer(metadata={"description": "Visits with outcome admitted."})
    conversations = Integer(metadata={"description": "Conversations in the period."})
    persons_talked_to = Integer(
        metadata={"description": "Distinct persons (merged records once) talked to."}
    )
    first_time_persons = Integer(
        metadata={"description": "Those whose first-ever conversation was in the period."}
    )


class RegionFiguresSchema(_Figures):
    region = fields.String(metadata={"description": "Region slug."})


class MonthFiguresSchema(Schema):
    month = Integer(metadata={"description": "1 to 12."})
    visits = Integer()
    admitted_visits = Integer()
    conversations = Integer()


class _ScreeningFigures(Schema):
    leads_recorded = Integer(metadata={"description": "Leads first seen in the period."})
    new_clinics = Integer(
        metadata={"description": "Clinics found through screening (source `screening`) added."}
    )
    new_clinics_visited = Integer(
        metadata={"description": "Those of them with a visit before the period's end."}
    )
    numbers_texted = Integer(metadata={"description": "Distinct numbers texted."})
    texts_sent = Integer(metadata={"description": "SMS contacts sent in the period."})
    replies = Integer(
        metadata={"description": "Those texts answered: outcome reply or controller_answered."}
    )
    opt_outs = Integer(
        metadata={"description": "Those texts answered by asking not to be contacted."}
    )
    sms_conversations = Integer(
        metadata={"description": "Conversations with channel `sms` in the period."}
    )


class ScreeningMonthSchema(_ScreeningFigures):
    month = Integer(metadata={"description": "1 to 12."})


class ScreeningSchema(_ScreeningFigures):
    by_month = fields.List(
        fields.Nested(ScreeningMonthSchema),
        metadata={"description": "In the annual report: all 12 months, zeros included."},
    )


class _Report(_Figures):
    year = Integer()
    region = fields.String(
        allow_none=True, metadata={"description": "The region filter, or null for all."}
    )
    admission_rate = fields.Float(
        allow_none=True,
        metadata={"description": "admitted_visits / visits to 4 decimals; null with 0 visits."},
    )
    by_region = fields.List(
        fields.Nested(RegionFiguresSchema),
        metadata={"description": "Every region of the organisation, zeros included."},
    )
    screening = fields.Nested(
        ScreeningSchema,
        metadata={
            "description": "Screening of ads and SMS outreach (docs/reports.md). With a region "
            "filter, leads and clinics of that region; texts belong to no region and count 0."
        },
    )


class AnnualReportSchema(_Report):
    by_month = fields.List(
        fields.Nested(MonthFiguresSchema),
        metadata={"description": "All 12 months, zeros included."},
    )


class MonthlyReportSchema(_Report):
    month = Integer()
