"""The column every synced table carries."""

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column


class Synced:
    # The organisation's change-sequence number of the last write to this row.
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
