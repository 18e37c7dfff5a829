"""When will a meter reach a threshold? A Theil–Sen fit over recent readings (pure Python).

Theil–Sen takes the median of the slopes between every pair of readings, so one mistyped
reading or a week of standstill moves it little (a least-squares line would follow them).
The uncertainty is the interquartile range of those pairwise slopes: the forecast gives the
likely date (median slope) and an earliest/latest date (upper/lower quartile slope), each
counted from the newest reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median, quantiles

MIN_READINGS = 3


@dataclass(frozen=True)
class MeterForecast:
    slope_per_day: float
    slope_low: float
    slope_high: float
    last_value: float
    last_read_at: datetime
    threshold: float
    likely_at: datetime | None  # None: the meter does not move towards the threshold
    earliest_at: datetime | None
    latest_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {"slope_per_day": round(self.slope_per_day, 4),
                "slope_low": round(self.slope_low, 4), "slope_high": round(self.slope_high, 4),
                "threshold": self.threshold, "last_value": self.last_value,
                "last_read_at": self.last_read_at.isoformat(),
                "likely_at": iso(self.likely_at), "earliest_at": iso(self.earliest_at),
                "latest_at": iso(self.latest_at)}


def theil_sen(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(slope, intercept, slope lower quartile, slope upper quartile) of (x, y) points."""
    slopes = [(y2 - y1) / (x2 - x1)
              for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1:] if x2 != x1]
    if not slopes:
        raise ValueError("need two readings at different times")
    slope = median(slopes)
    intercept = median(y - slope * x for x, y in points)
    if len(slopes) >= 2:
        low, _, high = quantiles(slopes, n=4, method="inclusive")
    else:
        low = high = slope
    return slope, intercept, low, high


def forecast_threshold(readings: list[tuple[datetime, Decimal]], threshold: Decimal
                       ) -> MeterForecast | None:
    """The forecast of when `threshold` is reached, or None with too few readings."""
    readings = sorted(readings)
    if len(readings) < MIN_READINGS:
        return None
    origin = readings[0][0]
    points = [((at - origin).total_seconds() / 86400.0, float(v)) for at, v in readings]
    try:
        slope, _intercept, low, high = theil_sen(points)
    except ValueError:
        return None
    last_at, last_value = readings[-1][0], float(readings[-1][1])
    remaining = float(threshold) - last_value

    def reach(rate: float) -> datetime | None:
        if remaining <= 0:
            return last_at
        if rate <= 0:
            return None
        return last_at + timedelta(days=remaining / rate)

    return MeterForecast(slope_per_day=slope, slope_low=low, slope_high=high,
                         last_value=last_value, last_read_at=last_at,
                         threshold=float(threshold), likely_at=reach(slope),
                         earliest_at=reach(high), latest_at=reach(low))
