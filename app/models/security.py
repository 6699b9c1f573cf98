"""The security stamp: one row whose version changes (to a new random number) whenever a role's rights change.

Every web worker keeps the (permission, view) pairs of each role set in memory instead of asking the
database on every request. They are valid for as long as the stamp's version is the one they were
read under: each request reads the version (in the same statement that loads the signed-in user,
app/security.py), and the flush that changes a role, a group, a permission or a view bumps it in the
same transaction. So a change made by any worker, on any host, or from the command line, is seen by
all of them on their next request; a rolled-back change bumps nothing.
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

STAMP_ID = 1  # the only row


class SecurityStamp(Model):
    """The version of the roles' rights (no row yet: version 0)."""

    __tablename__ = "security_stamp"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
