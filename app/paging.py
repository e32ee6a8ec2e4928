"""A pager over two callables, for lists whose rows and count need queries of their own.

``db.paginate`` runs the page's statement once for the rows and once wrapped in COUNT(*); for the big
lists (inbox, stage lists) the fast plan for the rows is not the fast plan for the count, so each is
written by hand and handed to ``CallablePage``.
"""
from urllib.parse import parse_qsl, urlsplit

from flask_sqlalchemy.pagination import Pagination


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


def query_fields(url: str) -> list[tuple[str, str]]:
    """The query-string pairs of ``url`` except ``page``: the hidden fields of the pager's 前往 N 页 form.

    A GET form drops the query string of its action, so the list's filters travel as hidden fields.
    """
    return [(k, v) for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True) if k != "page"]
