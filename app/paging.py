"""A pager over two callables, for lists whose rows and count need queries of their own.

``db.paginate`` runs the page's statement once for the rows and once wrapped in COUNT(*); for the big
lists (inbox, stage lists) the fast plan for the rows is not the fast plan for the count, so each is
written by hand and handed to ``CallablePage``.
"""
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from app.extensions import db

# Above this many rows a list's count stops: the pager shows "1000+", the API ``total_is_lower_bound``.
COUNT_CAP = 1000
# Query arguments that address a page rather than filter the list (not carried by the 前往 N 页 form).
PAGE_ARGS = ("page", "after", "before")


class CallablePage(Pagination):
    """Pagination whose rows come from ``items(offset, limit)`` and total from ``total()``.

    With ``capped=True`` the total is a lower bound (the count stopped early): the pager shows it as
    "N+" and lets the user page on while a page is full.
    """

    def __init__(self, *, page: int, per_page: int, items, total, capped: bool = False):
        self.capped = capped
        super().__init__(page=page, per_page=per_page, error_out=False, items=items, total=total)

    def _query_items(self):
        return self._query_args["items"](self._query_offset, self.per_page)

    def _query_count(self):
        return self._query_args["total"]()

    @property
    def pages(self) -> int:
        if self.capped and len(self.items) == self.per_page:
            return max(super().pages, self.page + 1)
        return super().pages

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class KeysetPage(CallablePage):
    """A page of a long list ordered by one integer key, newest (largest) first, with a capped count.

    ``keys`` is a select of the key column with the list's filters (no order, no limit); ``load(keys)``
    returns the rows of those keys. 下一页 and 上一页 carry the last / first key of the page shown
    (``after`` / ``before``), so the next page is ``key < after ORDER BY key DESC LIMIT n``: one index range,
    the same cost on page 2 and on page 20,000. A page number without a cursor (the numbered links, 前往 N 页)
    counts rows from the top (OFFSET over the keys only), so a deep jump reads the keys before it. The count
    reads at most ``cap + 1`` keys; above ``cap`` it is a lower bound (``capped``).

    ``ranged=True`` (a list narrowed to a subtree, see ``app.scope.below_root``) sorts the keys that the
    filters' index range yields (ORDER BY key + 0, which no index provides) instead of letting the planner
    walk the key's index: that cost is bounded by the subtree's size, the walk's by the whole table.
    """

    keyset = True

    def __init__(self, *, page: int, per_page: int, keys, key, load, key_of=lambda row: row.id,
                 after: int | None = None, before: int | None = None, cap: int = COUNT_CAP, ranged: bool = False):
        self._keys, self._key, self._load, self._key_of = keys, key, load, key_of
        self._order = key + 0 if ranged else key
        self._after, self._before, self._cap = after, before, cap
        super().__init__(page=page, per_page=per_page, items=self._rows, total=self._capped_total)

    def _rows(self, offset: int, limit: int) -> list:
        if self._after is not None:
            keys = list(db.session.scalars(self._keys.where(self._key < self._after)
                                           .order_by(self._order.desc()).limit(limit)))
        elif self._before is not None:
            keys = list(db.session.scalars(self._keys.where(self._key > self._before)
                                           .order_by(self._order.asc()).limit(limit)))[::-1]
        else:
            keys = list(db.session.scalars(self._keys.order_by(self._order.desc()).offset(offset).limit(limit)))
        if not keys:
            return []
        rows = {self._key_of(row): row for row in self._load(keys)}
        return [rows[k] for k in keys if k in rows]

    def _capped_total(self) -> int:
        found = db.session.scalar(sa.select(sa.func.count()).select_from(
            self._keys.limit(self._cap + 1).subquery()))
        self.capped = found > self._cap
        return min(found, self._cap)

    @property
    def next_after(self):
        """The cursor of 下一页: the last key shown."""
        return self._key_of(self.items[-1]) if self.items else None

    @property
    def prev_before(self):
        """The cursor of 上一页: the first key shown."""
        return self._key_of(self.items[0]) if self.items else None


class CappedPage(CallablePage):
    """A page of a list in its own order (OFFSET), whose count stops at ``cap`` (then a lower bound): for lists
    ordered by something other than one key, where the count, not the page, is what grows with the data."""

    def __init__(self, stmt, *, page: int, per_page: int, cap: int = COUNT_CAP):
        self._stmt, self._cap = stmt, cap
        super().__init__(page=page, per_page=per_page, items=self._rows, total=self._capped_total)

    def _rows(self, offset: int, limit: int) -> list:
        return list(db.session.scalars(self._stmt.offset(offset).limit(limit)).unique())

    def _capped_total(self) -> int:
        keys = self._stmt.order_by(None).with_only_columns(sa.literal(1)).limit(self._cap + 1)
        found = db.session.scalar(sa.select(sa.func.count()).select_from(keys.subquery()))
        self.capped = found > self._cap
        return min(found, self._cap)


def query_fields(url: str) -> list[tuple[str, str]]:
    """The query-string pairs of ``url`` except the page's address: the hidden fields of the pager's 前往 N 页
    form.

    A GET form drops the query string of its action, so the list's filters travel as hidden fields.
    """
    return [(k, v) for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k not in PAGE_ARGS]
