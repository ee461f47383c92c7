"""The managers' dashboard: mail sent and received, reply rate, median response time and meetings, per day
and per rep, over a date range. Charts are inline SVG drawn here (shapes with attributes, styled by
app.css classes: nothing inline for the page's CSP to refuse), no chart script."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.web.common import page
from api.web.inbox_pages import _chrome
from inbox.core.db import utcnow
from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.metrics.dashboard import DayFigures, check_range, dashboard

DateQuery = Annotated[str | None, QueryParameter(max_length=32)]
DEFAULT_DAYS = 30

# The drawing area of every chart, in SVG user units (the SVG scales to the page's width).
WIDTH, HEIGHT = 720.0, 200.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 8.0, 10.0, 22.0


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Point:
    x: float
    y: float
    title: str


@dataclass
class Chart:
    """One chart's shapes, ready for ``_chart.html``."""

    label: str
    legend: list[tuple[str, str]]  # (css class, name)
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    width: float = WIDTH
    height: float = HEIGHT
    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    bottom: float = HEIGHT - BOTTOM
    empty: bool = False

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _frame(
    label: str,
    legend: list[tuple[str, str]],
    days: Sequence[date],
    top_value: float,
    fmt: Callable[[float], str],
    *,
    integers: bool = False,
) -> Chart:
    """An empty chart with its axes: a tick at 0, half way (unless counts would get a fraction) and the top."""
    chart = Chart(label=label, legend=legend)
    span = chart.bottom - chart.top
    chart.y_ticks = [
        (chart.bottom - span * share, fmt(top_value * share))
        for share in (0.0, 0.5, 1.0)
        if not integers or (top_value * share).is_integer()
    ]
    slot = (chart.right - chart.left) / max(len(days), 1)
    every = max(1, math.ceil(len(days) / 8))
    chart.x_labels = [
        (chart.left + slot * (index + 0.5), day.strftime("%d %b"))
        for index, day in enumerate(days)
        if index % every == 0
    ]
    return chart


def bar_chart(
    label: str,
    days: Sequence[date],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    fmt: Callable[[float], str] = lambda value: f"{value:g}",
    *,
    integers: bool = False,
) -> Chart:
    """Bars per day, one per series side by side: ``series`` is (name, css class, a value per day)."""
    values = [value for _, _, row in series for value in row if value is not None]
    top_value = nice_ceiling(max(values, default=0.0))
    chart = _frame(label, [(css, name) for name, css, _ in series], days, top_value, fmt, integers=integers)
    chart.empty = not any(values)
    slot = (chart.right - chart.left) / max(len(days), 1)
    width = slot * 0.8 / max(len(series), 1)
    span = chart.bottom - chart.top
    for index, day in enumerate(days):
        for position, (name, css, row) in enumerate(series):
            value = row[index]
            if not value:
                continue
            height = span * value / top_value
            chart.bars.append(
                Bar(
                    x=chart.left + slot * index + slot * 0.1 + width * position,
                    y=chart.bottom - height,
                    width=max(width, 0.5),
                    height=height,
                    css=css,
                    title=f"{day.isoformat()}: {fmt(value)} {name.lower()}",
                )
            )
    return chart


def line_chart(
    label: str, days: Sequence[date], name: str, css: str, values: Sequence[float | None], fmt: Callable[[float], str]
) -> Chart:
    """A line through the days that have a value (a day without one is skipped, not drawn as zero)."""
    known = [value for value in values if value is not None]
    top_value = nice_ceiling(max(known, default=0.0))
    chart = _frame(label, [(css, name)], days, top_value, fmt)
    chart.empty = not known
    slot = (chart.right - chart.left) / max(len(days), 1)
    span = chart.bottom - chart.top
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        if value is None:
            continue
        chart.points.append(
            Point(
                x=chart.left + slot * (index + 0.5),
                y=chart.bottom - span * value / top_value,
                title=f"{day.isoformat()}: {fmt(value)} {name.lower()}",
            )
        )
    return chart


def percent(value: float) -> str:
    return f"{value * 100:.0f}%" if value * 100 == round(value * 100) else f"{value * 100:.1f}%"


def minutes(value: float) -> str:
    return f"{value:.0f} min" if value == round(value) else f"{value:.1f} min"


def charts(days: list[DayFigures]) -> list[Chart]:
    dates = [figures.day for figures in days]
    return [
        bar_chart(
            "Emails sent and received per day",
            dates,
            [
                ("Sent", "sent", [float(f.sent) for f in days]),
                ("Received", "received", [float(f.received) for f in days]),
            ],
            integers=True,
        ),
        line_chart("Reply rate per day", dates, "Reply rate", "rate", [f.reply_rate for f in days], percent),
        bar_chart(
            "Median response time per day",
            dates,
            [("Median response", "response", [f.median_response_minutes for f in days])],
            minutes,
        ),
        bar_chart(
            "Meetings scheduled per day",
            dates,
            [("Meetings", "meetings", [float(f.meetings) for f in days])],
            integers=True,
        ),
    ]


def _parse_day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"{name}: not a date; use YYYY-MM-DD", field=name) from None


class DashboardPages(Controller):
    path = "/dashboard"
    include_in_schema = False

    @get("/")
    async def dashboard_page(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        from_: Annotated[str | None, QueryParameter(name="from", max_length=32)] = None,
        to: DateQuery = None,
    ) -> Template:
        chrome = await _chrome(db_session, web_principal)
        if not web_principal.sees_whole_workspace:
            return page("forbidden.html", 403, **chrome, what="The dashboard is for managers and admins.")
        today = utcnow().date()
        context: dict[str, Any] = {"from_value": from_ or "", "to_value": to or ""}
        try:
            until = _parse_day(to, "to") or today
            since = _parse_day(from_, "from") or until - timedelta(days=DEFAULT_DAYS - 1)
            context.update(from_value=since.isoformat(), to_value=until.isoformat())
            check_range(since, until)
        except InvalidInput as exc:
            return page("dashboard.html", 400, **chrome, **context, error=exc.message, data=None)
        data = await dashboard(db_session, web_principal, since, until)
        export = "/api/metrics?" + urlencode(
            {"from": since.isoformat(), "to": until.isoformat(), "group_by": "user", "format": "csv"}
        )
        return page(
            "dashboard.html",
            **chrome,
            **context,
            error=None,
            data=data,
            charts=charts(data.days),
            export_url=export,
            percent=percent,
            minutes=minutes,
        )
