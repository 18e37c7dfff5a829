"""The printable service report of one work order, in English or Chinese (PDF, ReportLab).

What the customer signs off: who came, what was wrong, what was done, which parts, how long,
photos, the signature and the rating. It is a customer document, so its timeline is always the
customer-safe one (no internal entries) whoever prints it. Chinese needs a CJK TrueType font
from the system (Debian's fonts-wqy-zenhei, installed by `make setup`; `PDF_CJK_FONT`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.assets.models import Asset, EquipmentModel
from app.auth.models import User
from app.errors import DomainError
from app.inventory.models import MovementKind, Part, StockMovement
from app.mobile_api.models import Photo, SiteVisit
from app.mobile_api.storage import Storage
from app.reports.service.report_texts import event_name, status_name, text
from app.workorders import service as workorders
from app.workorders.models import WorkOrderEvent

FONT_NAME = "FieldOpsCJK"
DEFAULT_CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
MAX_PHOTOS = 6


class FontMissing(DomainError):
    code = 503
    error = "pdf_font_missing"


@dataclass(frozen=True)
class ServiceReport:
    data: bytes
    filename: str


def _register_font(font_path: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    if not Path(font_path).is_file():
        raise FontMissing(f"The PDF font {font_path} is not installed "
                          "(Debian package fonts-wqy-zenhei).")
    pdfmetrics.registerFont(TTFont(FONT_NAME, font_path, subfontIndex=0))
    return FONT_NAME


def _parts_used(session: Session, work_order_id: int) -> list[tuple[str, str, int, Decimal]]:
    sign = case((StockMovement.kind == MovementKind.issue, 1), else_=-1)
    rows = session.execute(
        select(Part.sku, Part.name, func.sum(sign * StockMovement.quantity),
               func.sum(sign * StockMovement.quantity * StockMovement.unit_cost))
        .join(Part, Part.id == StockMovement.part_id)
        .where(StockMovement.work_order_id == work_order_id,
               StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)))
        .group_by(Part.sku, Part.name).order_by(Part.sku))
    return [(sku, name, int(qty), Decimal(cost or 0).quantize(Decimal("0.01")))
            for sku, name, qty, cost in rows if qty]


def _event_line(event: WorkOrderEvent, lang: str) -> str:
    data = event.data or {}
    if event.kind == "status_changed":
        return text(lang, "event_status", status=status_name(lang, str(data.get("to", ""))))
    if event.kind == "note":
        return text(lang, "event_note", note=str(data.get("text", ""))[:300])
    if event.kind == "rated":
        return text(lang, "event_rated", score=data.get("score", ""))
    return event_name(lang, event.kind) or text(lang, "event_other",
                                                kind=event.kind.replace("_", " "))


def build_service_report(session: Session, work_order_id: int, *, actor: User,
                         storage: Storage, lang: str, font_path: str | None = None
                         ) -> ServiceReport:
    """The service report PDF of a work order the actor may see (others' are a 404)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    wo = workorders.get_work_order_for(session, work_order_id, actor=actor)
    font = _register_font(font_path or DEFAULT_CJK_FONT)
    zone = ZoneInfo(wo.site.timezone or "UTC")

    def when(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, fontSize=15, leading=20, spaceAfter=4)
    section = ParagraphStyle("section", parent=body, fontSize=11.5, leading=16,
                             spaceBefore=8, spaceAfter=3, textColor=colors.HexColor("#1f4e79"))

    def p(value: Any, style: ParagraphStyle = body) -> Paragraph:
        escaped = (str(value).replace("&", "&amp;").replace("<", "&lt;")
                   .replace(">", "&gt;").replace("\n", "<br/>"))
        return Paragraph(escaped, style)

    def grid(rows: list[list[Any]], widths: list[float], header: bool = False) -> Table:
        table = Table([[c if isinstance(c, Paragraph | Image) else p(c) for c in row]
                       for row in rows], colWidths=widths, hAlign="LEFT")
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                 ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
        table.setStyle(TableStyle(style))
        return table

    t = lambda key, **kw: text(lang, key, **kw)  # noqa: E731 - a local shorthand
    asset = session.get(Asset, wo.asset_id) if wo.asset_id else None
    model = session.get(EquipmentModel, asset.equipment_model_id) if asset else None
    assignee = session.get(User, wo.assignee_user_id) if wo.assignee_user_id else None
    visits = list(session.scalars(select(SiteVisit).where(SiteVisit.work_order_id == wo.id)
                                  .order_by(SiteVisit.check_in_at)))
    story: list[Any] = [p(t("title", number=wo.number), head)]
    story.append(grid([
        [t("customer"), wo.customer.name, t("status"), status_name(lang, wo.status)],
        [t("site"), f"{wo.site.name}\n{wo.site.address_line or ''} {wo.site.city or ''}",
         t("priority"), wo.priority],
        [t("asset"), f"{asset.tag} {model.manufacturer} {model.model}" if asset and model
         else "-", t("technician"), assignee.full_name if assignee else "-"],
        [t("reported"), when(wo.created_at), t("completed_at"), when(wo.completed_at)],
    ], [28 * mm, 62 * mm, 28 * mm, 62 * mm]))
    story += [p(t("fault"), section), p(f"{wo.title}\n{wo.description}")]
    story += [p(t("work_done"), section), p(wo.resolution_notes or t("none"))]
    codes = [c for c in (wo.failure_code, wo.cause_code, wo.remedy_code) if c]
    if codes:
        story.append(p(t("failure_codes", codes=" / ".join(codes))))
    on_site = sum(((v.check_out_at - v.check_in_at).total_seconds() / 60
                   for v in visits if v.check_out_at), 0.0)
    story.append(p(t("labour", labour=wo.labour_minutes if wo.labour_minutes is not None
                     else "-", on_site=round(on_site), visits=len(visits))))
    parts = _parts_used(session, wo.id)
    story.append(p(t("parts"), section))
    if parts:
        rows = [[t("sku"), t("part"), t("quantity"), t("value")]]
        rows += [[sku, name, str(qty), str(cost)] for sku, name, qty, cost in parts]
        story.append(grid(rows, [30 * mm, 90 * mm, 25 * mm, 35 * mm], header=True))
    else:
        story.append(p(t("none")))
    events = session.scalars(workorders.timeline_query(wo, actor=actor)
                             .where(WorkOrderEvent.internal.is_(False)))
    story.append(p(t("timeline"), section))
    story.append(grid([[when(e.occurred_at), _event_line(e, lang)] for e in events],
                      [35 * mm, 145 * mm]))
    photos = list(session.scalars(select(Photo).where(Photo.work_order_id == wo.id)
                                  .order_by(Photo.id)))
    pictures = [ph for ph in photos if ph.kind != "signature"][:MAX_PHOTOS]
    if pictures:
        story.append(p(t("photos"), section))
        cells = [_picture(storage, ph.thumbnail_key, 55 * mm) for ph in pictures]
        story.append(Table([cells[i:i + 3] for i in range(0, len(cells), 3)], hAlign="LEFT"))
    signature = next((ph for ph in photos if ph.kind == "signature"), None)
    story.append(p(t("signature"), section))
    story.append(_picture(storage, signature.public_key, 60 * mm) if signature
                 else p(t("not_signed")))
    if wo.rating is not None:
        story.append(p(t("rating"), section))
        story.append(p(t("rating_line", score=wo.rating.score,
                         comment=wo.rating.comment or "")))
    story += [Spacer(1, 6 * mm), p(t("footer"))]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=t("title", number=wo.number), author="FieldOps")
    doc.build(story)
    return ServiceReport(out.getvalue(), f"{wo.number}-{lang}.pdf")


def _picture(storage: Storage, key: str, width: float) -> Any:
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, Paragraph

    if not storage.exists(key):
        return Paragraph("-")
    data = storage.get(key)
    w, h = ImageReader(io.BytesIO(data)).getSize()
    return Image(io.BytesIO(data), width=width, height=width * h / max(w, 1))
