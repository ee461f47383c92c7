"""``GET /api/metrics``: the team's performance per day or per rep, as JSON or CSV.

The figures come from ``performance_metrics`` (filled by the rollup job; see
``inbox.metrics.rollup`` for what each one counts). ``GET /api/metrics/ai-usage``,
the LLM's cost, is another controller on the same path (``api.ai``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, cast

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.threads import download_headers
from inbox.core.db import utcnow
from inbox.core.principal import Principal
from inbox.metrics.schemas import GroupBy, MetricsReport, ReportFormat
from inbox.metrics.service import csv_filename, metrics_report, report_csv, report_range

CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"


@dataclass
class _JsonOrCsv(Operation):
    """The operation's 200 answer is the report as JSON, or as CSV with ``format=csv``: say both in OpenAPI."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {
                **(ok.content or {}),
                "text/csv": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, description="a header row, then one row per day or user")
                ),
            }


class PerformanceMetricsController(Controller):
    path = "/metrics"
    tags = ["metrics"]

    @get("/", operation_class=_JsonOrCsv)
    async def performance_metrics(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        start: Annotated[
            date | None, QueryParameter(name="from", description="first UTC day, YYYY-MM-DD (default: 30 days ago)")
        ] = None,
        end: Annotated[
            date | None, QueryParameter(name="to", description="last UTC day, included (default: today)")
        ] = None,
        group_by: Annotated[GroupBy, QueryParameter(description="one row per day, or per user")] = "day",
        user_id: FromQuery[uuid.UUID | None] = None,
        format: Annotated[ReportFormat, QueryParameter(description="json, or csv for a download")] = "json",
    ) -> Response[MetricsReport]:
        """Emails sent and received, reply rate, average response time, leads contacted, meetings and completed
        actions, per UTC day or per user, over at most 366 days. Sales reps see their own figures; managers and
        admins the workspace's, or one rep's with ``user_id``."""
        first, last = report_range(start, end, utcnow().date())
        report = await metrics_report(db_session, principal, start=first, end=last, group_by=group_by, user_id=user_id)
        if format == "csv":
            headers = download_headers(csv_filename(report), "metrics.csv")
            csv_answer: Response[Any] = Response(report_csv(report), media_type=CSV_MEDIA_TYPE, headers=headers)
            return cast("Response[MetricsReport]", csv_answer)  # the OpenAPI document lists text/csv too
        return Response(report)
