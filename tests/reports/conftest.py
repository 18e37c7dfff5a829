"""Reports reuse the work-order and dispatch factories."""

from tests.dispatch.conftest import make_technician  # noqa: F401
from tests.dispatch.factories import make_part  # noqa: F401
from tests.mobile_api.conftest import (  # noqa: F401
    make_job,
    make_tech,
    make_van,
    phone,
    photo_dir,
    tech,
)
from tests.workorders.conftest import make_work_order  # noqa: F401
