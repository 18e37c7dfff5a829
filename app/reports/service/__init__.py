"""Reports' business rules: KPI definitions and their SQL."""

from app.reports.service.kpis import GROUPS, KPI_DEFINITIONS, kpi_report, kpi_series

__all__ = ["GROUPS", "KPI_DEFINITIONS", "kpi_report", "kpi_series"]
