"""Printable QR labels: the code opens the public fault-report page for the asset's tag."""

from __future__ import annotations

import io
from urllib.parse import quote
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw, ImageFont

from app.assets.models import Asset

_SCALE = 10  # pixels per QR module in the PNG
_BORDER = 4  # quiet zone in modules, as the QR standard asks


def fault_report_url(base_url: str, tag: str) -> str:
    """The public URL printed on an asset's label (served by the work-orders package)."""
    return f"{base_url.rstrip('/')}/r/{quote(tag, safe='')}"


def _caption(asset: Asset) -> tuple[str, str]:
    model = asset.equipment_model
    return asset.tag, f"{model.manufacturer} {model.model}"


def label_png(asset: Asset, url: str) -> bytes:
    """PNG: the QR code with the tag (large) and the model (small) printed under it."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=_SCALE, border=_BORDER)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    tag, model = _caption(asset)
    big, small = ImageFont.load_default(size=34), ImageFont.load_default(size=20)
    width = max(code.width, 420)
    label = Image.new("L", (width, code.height + 90), 255)
    label.paste(code, ((width - code.width) // 2, 0))
    draw = ImageDraw.Draw(label)
    draw.text((width / 2, code.height + 8), tag, font=big, fill=0, anchor="mt")
    draw.text((width / 2, code.height + 52), model[:48], font=small, fill=0, anchor="mt")
    out = io.BytesIO()
    label.save(out, format="PNG", optimize=True)
    return out.getvalue()


def label_svg(asset: Asset, url: str) -> str:
    """SVG: the same label as vector graphics, for sticker printers."""
    qr = segno.make(url, error="m")
    size = qr.symbol_size(scale=1, border=_BORDER)[0]
    path = io.BytesIO()
    qr.save(path, kind="svg", scale=1, border=_BORDER, xmldecl=False, svgns=True,
            omitsize=True, nl=False)
    # segno's own <svg> becomes the top square of the label.
    inner = path.getvalue().decode().replace(
        "<svg ", f'<svg x="0" y="0" width="{size}" height="{size}" ', 1)
    tag, model = _caption(asset)
    height = size + 9
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {height}" '
        f'width="{size * 8}" height="{height * 8}">'
        f'<rect width="{size}" height="{height}" fill="#fff"/>'
        f"{inner}"
        f'<text x="{size / 2}" y="{size + 3.5}" font-family="sans-serif" font-size="3.4" '
        f'font-weight="bold" text-anchor="middle">{escape(tag)}</text>'
        f'<text x="{size / 2}" y="{size + 7.5}" font-family="sans-serif" font-size="2.2" '
        f'text-anchor="middle">{escape(model[:48])}</text></svg>'
    )
