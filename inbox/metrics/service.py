"""The metrics report: ``performance_metrics`` summed per day or per user, as JSON or CSV.

Counts are summed; the reply rate is recomputed from the summed counts (capped
at 1, as the rollup caps it) and the average response time is weighted by the
number of answers behind each day's average, so a report over several days or
users says what one computed over all their mail would say.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import InvalidInput, NotFound
from inbox.core.principal import Principal
from inbox.metrics.repository import MetricsRepository
from inbox.metrics.schemas import GroupBy, MetricFigures, MetricRow, MetricsReport

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
COUNTS = (
    "emails_sent",
    "emails_received",
    "replies_received",
    "response_count",
    "leads_contacted",
    "meetings_scheduled",
    "actions_completed",
)
CSV_FIGURES = (
    "emails_sent",
    "emails_received",
    "replies_received",
    "reply_rate",
    "avg_response_time_minutes",
    "response_count",
    "leads_contacted",
    "meetings_scheduled",
    "actions_completed",
)


def report_range(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days asked for: ``to`` defaults to today, ``from`` to 30 days before ``to``; at most a year."""
    end = end or today
    if start is None:
        if end < dt.date.min + dt.timedelta(days=DEFAULT_RANGE_DAYS):
            message = f"to ({end}) is too early to count {DEFAULT_RANGE_DAYS} days back: give from"
            raise InvalidInput(message, field="to")
        start = end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise InvalidInput(f"from ({start}) must be on or before to ({end})", field="from")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(
            f"ask for at most {MAX_RANGE_DAYS} days at a time; {start} to {end} is {(end - start).days + 1}",
            field="from",
        )
    return start, end


def figures(sums: dict[str, Any]) -> dict[str, Any]:
    """Reported figures from summed counts and summed response minutes."""
    counts = {name: int(sums.get(name) or 0) for name in COUNTS}
    sent, replies, answers = counts["emails_sent"], counts["replies_received"], counts["response_count"]
    minutes = float(sums.get("response_minutes") or 0.0)
    return {
        **counts,
        "reply_rate": round(min(replies, sent) / sent, 4) if sent else 0.0,
        "avg_response_time_minutes": round(minutes / answers, 2) if answers else None,
    }


async def metrics_report(
    session: AsyncSession,
    principal: Principal,
    *,
    start: dt.date,
    end: dt.date,
    group_by: GroupBy,
    user_id: uuid.UUID | None,
) -> MetricsReport:
    """The figures of ``start`` to ``end`` (inclusive): every day of the range (``group_by="day"``, zeros for days
    without figures) or one row per user (``"user"``). A sales rep sees only their own figures; a manager or an
    admin the workspace's, or one user's with ``user_id``."""
    repository = MetricsRepository(session, principal)
    if user_id is not None and not await repository.user_exists(user_id):
        raise NotFound.of("user")
    if not principal.sees_whole_workspace:
        user_id = principal.user_id
    rows: list[MetricRow] = []
    summed: list[dict[str, Any]] = []
    if group_by == "day":
        by_day = await repository.sums_by_day(start, end, user_id)
        for offset in range((end - start).days + 1):  # never a day past ``end`` (9999-12-31 has none)
            day = start + dt.timedelta(days=offset)
            sums = by_day.get(day, {})
            rows.append(MetricRow(date=day, **figures(sums)))
            summed.append(sums)
    else:
        for found in await repository.sums_by_user(start, end, user_id):
            rows.append(
                MetricRow(
                    user_id=found["user_id"],
                    user_name=found["user_name"] or None,
                    user_email=found["user_email"],
                    **figures(found),
                )
            )
            summed.append(found)
    totals = figures({name: sum(sums.get(name) or 0 for sums in summed) for name in (*COUNTS, "response_minutes")})
    return MetricsReport(
        start=start, end=end, group_by=group_by, user_id=user_id, rows=rows, totals=MetricFigures(**totals)
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is prefixed with a quote (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f"'{value}" if value.startswith(_FORMULA_START) else value
    return str(value)


def report_csv(report: MetricsReport) -> str:
    """The report's rows as CSV with a header row (the totals are not a row: they would be summed twice)."""
    keys = ("date",) if report.group_by == "day" else ("user_id", "user_name", "user_email")
    columns = (*keys, *CSV_FIGURES)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in report.rows:
        writer.writerow([_cell(getattr(row, column)) for column in columns])
    return out.getvalue()


def csv_filename(report: MetricsReport) -> str:
    return f"metrics-by-{report.group_by}-{report.start.isoformat()}-to-{report.end.isoformat()}.csv"
