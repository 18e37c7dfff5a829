"""Mobile API business rules, split by concept; import them from here.

- jobs: the technician's day and access to one job
- visits: status, geofenced check-in/out, parts used, completion, GPS fixes
- photos: upload verification, storage, listing and downloads
- idempotency: stored first answers for Idempotency-Key replays
"""

from app.mobile_api.service.idempotency import (
    claim_key,
    find_response,
    request_fingerprint,
    store_response,
)
from app.mobile_api.service.jobs import Day, DayJob, PartToBring, get_job, technician_day
from app.mobile_api.service.photos import (
    PayloadTooLarge,
    PhotoFile,
    PhotoUpload,
    add_photo,
    list_photos,
    photo_file,
)
from app.mobile_api.service.visits import (
    Geofence,
    change_status,
    check_in,
    check_out,
    complete_job,
    measure_geofence,
    record_parts_used,
    report_location,
)

__all__ = [
    "Day", "DayJob", "Geofence", "PartToBring", "PayloadTooLarge", "PhotoFile", "PhotoUpload",
    "add_photo", "change_status", "check_in", "check_out", "claim_key", "complete_job",
    "find_response",
    "get_job", "list_photos", "measure_geofence", "photo_file", "record_parts_used",
    "report_location", "request_fingerprint", "store_response", "technician_day",
]
