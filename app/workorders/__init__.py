"""Work orders: lifecycle, SLA clocks and escalation, timeline, fault intake, ratings."""
