"""The small public page behind an asset's QR label: a fault-report form, no login.

Self-contained (inline style and script, no external assets) so it loads on any phone. It
reveals nothing about the asset beyond the tag printed on the label itself.
"""

from __future__ import annotations

from flask import Response, current_app, request
from markupsafe import escape

from app.db import begin_writing
from app.extensions import db
from app.workorders import service

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}
main{max-width:34rem;margin:0 auto;padding:1.2rem}
h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input,textarea{width:100%;box-sizing:border-box;padding:.6rem;font:inherit;
border:1px solid #b8bfcc;border-radius:6px}
button{margin-top:1rem;padding:.7rem 1.2rem;font:inherit;background:#1f5fbf;color:#fff;
border:0;border-radius:6px}.tag{font-family:monospace;background:#e3e7ee;padding:.1rem .4rem}
.ok{background:#e4f4e6;padding:1rem;border-radius:6px}.err{color:#a1261b}
"""

_SCRIPT = """
document.getElementById('f').addEventListener('submit', async function (ev) {
  ev.preventDefault();
  var f = ev.target, out = document.getElementById('out');
  var body = {tag: f.dataset.tag, description: f.description.value};
  if (f.contact_name.value) body.contact_name = f.contact_name.value;
  if (f.contact_phone.value) body.contact_phone = f.contact_phone.value;
  out.textContent = 'Sending…'; out.className = '';
  try {
    var r = await fetch(f.dataset.api, {method: 'POST',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    var j = await r.json();
    if (!r.ok) { out.textContent = j.message || 'Sorry, that did not work.';
                 out.className = 'err'; return; }
    out.className = 'ok';
    out.textContent = (j.merged ? 'This fault is already being handled. ' : 'Thank you. ') +
      'Tracking number: ' + j.tracking_number + ' — tracking token: ' + j.tracking_token;
    f.reset();
  } catch (e) { out.textContent = 'No connection; please try again.'; out.className = 'err'; }
});
"""


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{title}</title><style>{_STYLE}</style></head>'
            f'<body><main>{body}</main></body></html>')


def label_page(tag: str) -> Response:
    """GET /r/<tag>: the report form, or 404 with the same page saying the label is unknown."""
    shown = escape(tag[:40])
    begin_writing(db.session)  # a GET that counts the view: a write transaction
    # Page views share the public rate limit's counter table, in their own bucket, so the
    # page cannot be used to probe tags without limit either.
    hits = service.count_public_request(
        db.session, client_address=request.remote_addr or "unknown", bucket="label-page",
        limit=current_app.config["PUBLIC_LABEL_PAGE_LIMIT"],
        window_seconds=current_app.config["PUBLIC_FAULT_REPORT_WINDOW_SECONDS"], refuse=False)
    db.session.commit()
    if hits > current_app.config["PUBLIC_LABEL_PAGE_LIMIT"]:
        html = _page("Too many requests", "<h1>Too many requests</h1><p>Please try again "
                     "later or call your service contact.</p>")
        return Response(html, status=429, mimetype="text/html")
    if service.find_labelled_asset(db.session, tag) is None:
        html = _page("Label not recognised", (
            f"<h1>Label not recognised</h1><p>The label <span class=tag>{shown}</span> is not "
            "known to us. Please call your service contact.</p>"))
        return Response(html, status=404, mimetype="text/html")
    form = (
        f"<h1>Report a fault</h1><p>Equipment <span class=tag>{shown}</span></p>"
        f'<form id=f data-tag="{shown}" data-api="/api/v1/public/fault-reports">'
        '<label for=d>What is wrong?</label>'
        '<textarea id=d name=description rows=5 maxlength=4000 required></textarea>'
        '<label for=n>Your name (optional)</label>'
        '<input id=n name=contact_name maxlength=200>'
        '<label for=p>Phone (optional)</label><input id=p name=contact_phone maxlength=40>'
        '<button type=submit>Send report</button></form><p id=out role=status></p>'
        f"<script>{_SCRIPT}</script>")
    return Response(_page("Report a fault", form), status=200, mimetype="text/html")
