"""The reports API's contract: KPI queries and answers."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, validate, validates_schema

from app.fields import IdField
from app.reports.service import GROUPS
from app.schema import Schema
from app.workorders.schemas import UTCTime

_TIMEZONES = frozenset(available_timezones())


class KpiQuery(Schema):
    from_ = UTCTime(required=True, data_key="from",
                    metadata={"description": "Start of the period (inclusive)."})
    to = UTCTime(required=True, metadata={"description": "End of the period (exclusive)."})
    group_by = fields.String(validate=validate.OneOf(GROUPS),
                             metadata={"description": "Break the figures down by this."})
    customer_id = IdField(metadata={"description": "Only this account (office roles)."})


class KpiSeriesQuery(Schema):
    from_ = UTCTime(required=True, data_key="from")
    to = UTCTime(required=True)
    interval = fields.String(load_default="day", validate=validate.OneOf(("day", "week")))
    timezone = fields.String(load_default="UTC", metadata={
        "description": "IANA time zone in which days and weeks start."})
    customer_id = IdField()

    @validates_schema
    def _zone(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("timezone") not in _TIMEZONES:
            raise ValidationError("Unknown IANA time zone.", field_name="timezone")


class BacklogByAge(Schema):
    class Meta:
        # Buckets are named by their age range ("0-1d" ... ">=30d").
        unknown = "include"


class Kpis(Schema):
    created = fields.Integer()
    completed = fields.Integer()
    mttr_minutes = fields.Float(allow_none=True)
    mean_labour_minutes = fields.Float(allow_none=True)
    first_time_fix_rate = fields.Float(allow_none=True)
    response_sla_rate = fields.Float(allow_none=True)
    resolution_sla_rate = fields.Float(allow_none=True)
    pm_compliance_rate = fields.Float(allow_none=True)
    on_time_arrival_rate = fields.Float(allow_none=True)
    travel_minutes = fields.Float()
    on_site_minutes = fields.Float()
    travel_share = fields.Float(allow_none=True)
    utilisation = fields.Float(allow_none=True)
    csat_average = fields.Float(allow_none=True)
    csat_rate = fields.Float(allow_none=True)
    ratings = fields.Integer()
    parts_quantity = fields.Integer()
    parts_cost = fields.String(metadata={"format": "decimal"})
    backlog = fields.Integer()
    backlog_mean_age_hours = fields.Float(allow_none=True)
    backlog_by_age = fields.Dict(keys=fields.String(), values=fields.Integer())
    mtbf_hours = fields.Float(allow_none=True)


class KpiGroup(Kpis):
    key = fields.Integer(allow_none=True, metadata={
        "description": "Id of the customer, site, model, technician user or territory; "
                       "null for work orders without one."})
    label = fields.String(allow_none=True)


class KpiPoint(Kpis):
    from_ = fields.DateTime(data_key="from", attribute="from")
    to = fields.DateTime()


class KpiReport(Schema):
    from_ = fields.DateTime(data_key="from", attribute="from")
    to = fields.DateTime()
    group_by = fields.String(allow_none=True)
    total = fields.Nested(Kpis)
    groups = fields.List(fields.Nested(KpiGroup))
    definitions = fields.Dict(keys=fields.String(), values=fields.String())


class KpiSeries(Schema):
    interval = fields.String()
    timezone = fields.String()
    points = fields.List(fields.Nested(KpiPoint))
    definitions = fields.Dict(keys=fields.String(), values=fields.String())


class ServiceReportQuery(Schema):
    lang = fields.String(validate=validate.OneOf(("en", "zh", "zh-CN")), metadata={
        "description": "Language of the report; default from Accept-Language."})
