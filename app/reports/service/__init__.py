"""Reports' business rules: KPI definitions and their SQL, the printable service report."""

from app.reports.service.kpis import GROUPS, KPI_DEFINITIONS, kpi_report, kpi_series
from app.reports.service.report_texts import LANGUAGES
from app.reports.service.service_report import ServiceReport, build_service_report

__all__ = ["GROUPS", "KPI_DEFINITIONS", "LANGUAGES", "ServiceReport", "build_service_report",
           "kpi_report", "kpi_series"]
