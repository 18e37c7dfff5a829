"""Reports: service KPIs (SLA, MTTR, MTBF, first-time fix, utilisation, CSAT, parts...)."""
