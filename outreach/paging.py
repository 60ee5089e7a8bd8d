"""Paging parameters shared by every list endpoint, bounded so no query can overflow."""

from marshmallow import fields, validate

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 1000
MAX_CURSOR = 2**62  # sync sequence numbers are BIGINT


def page_field():
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


def per_page_field(default: int = 100):
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=MAX_PER_PAGE))
