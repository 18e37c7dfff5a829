"""The technician's phone: the day's route, check-in/out, photos, parts used, completion,
offline sync with idempotency keys, device registration (issue 8)."""
