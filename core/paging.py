"""Pages of long lists: the page number from the query string, and what the pager shows.

The total comes from the aggregate the page computes anyway (the tab counts), so a page is
one query for its rows; Flask-SQLAlchemy's ``paginate`` would add a COUNT of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort, request

PER_PAGE = 50
MAX_PAGE = 100_000


def page_number(name: str = "page") -> int:
    """The 1-based page asked for; anything but a sensible whole number is a 400."""
    raw = request.args.get(name, "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400)
    return int(raw)


@dataclass(frozen=True)
class Page:
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages
