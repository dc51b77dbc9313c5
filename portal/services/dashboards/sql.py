"""Three SQL expressions the figures need that SQLite and PostgreSQL spell differently: the month of a
moment (in China's time), the days between two moments, and a median computed in the database."""

from __future__ import annotations

from sqlalchemy import Float, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

# China keeps one offset all year (no daylight saving), so SQLite can shift by a fixed eight hours.
CHINA_ZONE = "Asia/Shanghai"
CHINA_OFFSET = "+8 hours"


class month_of(FunctionElement):  # noqa: N801 - reads as SQL
    """``'2026-07'``: the month of a UTC moment in China's time (``local=True``), or of a plain date."""

    type = String()
    inherit_cache = True

    def __init__(self, column, *, local: bool = True):
        self.local = local
        super().__init__(column)


@compiles(month_of, "postgresql")
def _month_of_pg(element, compiler, **kw):
    (column,) = list(element.clauses)
    inner = compiler.process(column, **kw)
    if element.local:
        inner = f"({inner} AT TIME ZONE '{CHINA_ZONE}')"
    return f"to_char({inner}, 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element, compiler, **kw):
    (column,) = list(element.clauses)
    inner = compiler.process(column, **kw)
    return f"strftime('%Y-%m', {inner}, '{CHINA_OFFSET}')" if element.local else f"strftime('%Y-%m', {inner})"


class days_between(FunctionElement):  # noqa: N801 - reads as SQL
    """Days (with fractions) from ``earlier`` to ``later``, two UTC moments."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


def median_of(value: ColumnElement, stmt_where) -> select:
    """A statement answering the median of ``value`` over the rows ``stmt_where`` (a Select with its
    FROM and WHERE) keeps: rows numbered in order, the middle one (or the mean of the middle two).

    Window functions, so both databases answer it without sending the rows to Python.
    """
    numbered = stmt_where.with_only_columns(
        value.label("value"),
        func.row_number().over(order_by=value).label("position"),
        func.count().over().label("total"),
    ).subquery()
    return select(func.avg(numbered.c.value)).where(
        numbered.c.position.in_([(numbered.c.total + 1) // 2, (numbered.c.total + 2) // 2]))
