"""Date arithmetic in SQL that compiles on SQLite and PostgreSQL alike.

``add_months(date_expr, months)`` is a date ``months`` calendar months later (``months`` may be a column).
SQLite's ``date(x, 'N months')`` rolls an overflowing day into the next month (01-31 + 1 month =
03-03) where PostgreSQL clamps it (02-28); the checks only compare against these bounds, so the two can
differ by at most three days at a month's end.
"""
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class add_months(FunctionElement):
    """``date_expr`` plus ``months`` calendar months, as a date."""
    type = sa.Date()
    name = "add_months"
    inherit_cache = True


@compiles(add_months)
def _add_months_postgresql(element, compiler, **kw):
    when, months = list(element.clauses)
    return (f"CAST(({compiler.process(when, **kw)}) + make_interval(months => CAST(({compiler.process(months, **kw)}) "
            f"AS INTEGER)) AS DATE)")


@compiles(add_months, "sqlite")
def _add_months_sqlite(element, compiler, **kw):
    when, months = list(element.clauses)
    return f"date({compiler.process(when, **kw)}, ({compiler.process(months, **kw)}) || ' months')"


def add_years(when, years):
    """``when`` plus whole years (12 months each)."""
    return add_months(when, years * 12)
