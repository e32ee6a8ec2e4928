"""Date arithmetic in SQL that compiles on SQLite and PostgreSQL alike.

``add_months(date_expr, months)`` is a date ``months`` calendar months later (``months`` may be a column).
Both give the arithmetic of the diagram's ``add_months`` (app/workflow/expressions.py): a day the target
month lacks becomes its last day (2020-02-29 + 12 months = 2021-02-28, 01-31 + 1 month = 02-28/29).
PostgreSQL's interval arithmetic clamps so already; SQLite's ``date(x, 'N months')`` rolls an overflowing day
into the next month (01-31 + 1 month = 03-03), so there the result is taken back to the last day of the
month before when its day differs from the day it started from.
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
    when, months = compiler.process(when, **kw), compiler.process(months, **kw)
    naive = f"date({when}, ({months}) || ' months')"
    return (f"(CASE WHEN strftime('%d', {naive}) = strftime('%d', {when}) THEN {naive} "
            f"ELSE date({naive}, 'start of month', '-1 day') END)")


def add_years(when, years):
    """``when`` plus whole years (12 months each)."""
    return add_months(when, years * 12)
