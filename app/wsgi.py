"""The WSGI entry point for gunicorn (`gunicorn -c gunicorn.conf.py`, whose `wsgi_app` it is).

After start-up about 220k objects are tracked by the cyclic garbage collector (SQLAlchemy
mappers, marshmallow schemas, the OpenAPI spec), and every full collection walks all of them:
~100 ms pauses that hit about one request in 13 (issue 18). `gc.freeze()` moves everything
alive at the end of start-up into a permanent generation the collector skips; what requests
allocate is collected as before. FIELDOPS_GC_FREEZE=0 turns it off (for the benchmark's
comparison).
"""

from __future__ import annotations

import gc
import os

from app import create_app

app = create_app()

if os.environ.get("FIELDOPS_GC_FREEZE", "1") != "0":
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
