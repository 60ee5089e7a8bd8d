"""Paging parameters shared by every list endpoint, bounded so no query can overflow."""

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from outreach.db import db
from outreach.inputs import Integer

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 1000
MAX_CURSOR = 2**62  # sync sequence numbers are BIGINT


def page_field():
    return Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


def per_page_field(default: int = 100):
    return Integer(load_default=default, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def list_schema(name: str, item_schema) -> type:
    """The answer of every list endpoint: {"items": [...], "page", "per_page", "total"}."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": Integer(),
            "per_page": Integer(),
            "total": Integer(),
        },
    )


def paginate(stmt, page: int, per_page: int, *, rows: bool = False) -> tuple[list, int]:
    """(one page of what `stmt` selects, how many it selects in all). `rows` gives whole
    result rows instead of the first column's objects."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page_stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(page_stmt) if rows else db.session.scalars(page_stmt)
    return result.all(), total
