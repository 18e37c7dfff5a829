"""QR labels render and decode back to the public fault-report URL of the asset's tag."""

import io
import re
import xml.etree.ElementTree as ET

import zxingcpp
from PIL import Image, ImageDraw

from tests.conftest import assert_error


def _base(app):
    """PUBLIC_BASE_URL, else the host the test client reaches the app at."""
    return (app.config["PUBLIC_BASE_URL"] or "http://localhost").rstrip("/")


def _decode(image):
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, "exactly one QR code on the label"
    return results[0].text


def test_png_label_decodes_to_the_fault_report_url(app, login, make_asset, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    asset = make_asset(tag="CH-0042")
    r = login("dispatcher").get(f"/api/v1/assets/{asset.id}/label.png")
    assert r.status_code == 200 and r.mimetype == "image/png"
    image = Image.open(io.BytesIO(r.data))
    assert image.format == "PNG" and image.height > image.width * 1.05  # room for the caption
    assert _decode(image) == f"{_base(app)}/r/CH-0042"


def _rasterise_segno_path(svg_text):
    """Draw the QR path of the label SVG (segno's 'M x y h n m dx dy' lines) into a bitmap."""
    root = ET.fromstring(svg_text)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    inner = root.find("svg:svg", ns)
    size = int(inner.get("viewBox").split()[2])
    path = inner.find("svg:path", ns).get("d")
    scale = 8
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            length = float(a)
            draw.rectangle([x * scale, (y - 0.5) * scale, (x + length) * scale - 1,
                            (y + 0.5) * scale - 1], fill=0)
            x += length
    return img


def test_svg_label_has_caption_and_decodes(app, login, make_asset, make_equipment_model):
    model = make_equipment_model(manufacturer="KONE", model="MonoSpace <500> & co")
    asset = make_asset(tag="LIFT-9", equipment_model=model)
    r = login("admin").get(f"/api/v1/assets/{asset.id}/label.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    text = r.get_data(as_text=True)
    root = ET.fromstring(text)  # well-formed XML, model name escaped
    captions = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert captions == ["LIFT-9", "KONE MonoSpace <500> & co"]
    assert _decode(_rasterise_segno_path(text)) == f"{_base(app)}/r/LIFT-9"


def test_demo_assets_labels_decode(app, db_session, login):
    """Labels of seeded demo assets render and point at their own tags."""
    from sqlalchemy import select

    from app.assets.models import Asset
    from app.demo import seed_demo

    seed_demo(db_session, seed=3, size="small", force=True, password_method="pbkdf2:sha256:1")
    db_session.commit()
    api = login("admin")
    for asset in db_session.scalars(select(Asset).where(Asset.tag.like("FO-%"))
                                    .order_by(Asset.id).limit(3)):
        image = Image.open(io.BytesIO(api.get(f"/api/v1/assets/{asset.id}/label.png").data))
        assert _decode(image).endswith(f"/r/{asset.tag}")


def test_label_of_unknown_asset_is_404(login):
    assert_error(login("admin").get("/api/v1/assets/99999/label.png"), 404)
