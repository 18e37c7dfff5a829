"""CSV import of sites and assets: the whole file is validated before anything is written.

Columns (header row required, UTF-8, comma-separated; optional columns may be left out):

| column | required | meaning |
|---|---|---|
| customer_account | yes | the customer's account number (must exist) |
| site_name | yes | site, matched by name within the customer; created when new |
| address_line, city | for new sites | address of a new site |
| postal_code, country | no | country as ISO 3166 alpha-2 (default DE) |
| lat, lng | for new sites | WGS84 degrees |
| tag | yes | unique asset tag (3–40 letters, digits, dashes) |
| manufacturer, model | yes | an existing equipment model |
| serial_number, name, location_note | no | |
| parent_tag | no | parent asset (earlier or later in the file, or existing), same site |
| status | no | operational (default), degraded, down, retired |
| criticality | no | 1–5 (default 3) |
| install_date, warranty_end | no | YYYY-MM-DD |
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app import geo
from app.assets.models import (
    ASSET_STATUS_VALUES,
    Asset,
    AssetStatusChange,
    Customer,
    EquipmentModel,
    Site,
)
from app.auth.models import User
from app.errors import Unprocessable

REQUIRED_COLUMNS = ("customer_account", "site_name", "tag", "manufacturer", "model")
OPTIONAL_COLUMNS = ("address_line", "city", "postal_code", "country", "lat", "lng",
                    "serial_number", "name", "location_note", "parent_tag", "status",
                    "criticality", "install_date", "warranty_end")
MAX_ROWS = 50_000
MAX_ERRORS_LISTED = 500
_CHUNK = 900  # tags per IN (...) query
_TAG = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")


@dataclass
class ImportSummary:
    rows: int
    sites_created: int
    assets_created: int


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    clean: dict[str, Any] = field(default_factory=dict)

    def fail(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file is not UTF-8 text; save it as CSV UTF-8.",
                            error="invalid_encoding",
                            errors={"file": [f"Invalid UTF-8 at byte {exc.start}."]}) from exc


def _read_rows(text: str) -> list[_Row]:
    if "\x00" in text:
        raise Unprocessable("The file is not a text CSV.", error="invalid_csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        errors = {}
        if missing:
            errors["missing_columns"] = missing
        if unknown:
            errors["unknown_columns"] = unknown
        raise Unprocessable("The CSV header does not match the documented columns.",
                            error="invalid_columns", errors=errors)
    reader.fieldnames = header
    rows = []
    try:
        for record in reader:
            if len(rows) >= MAX_ROWS:
                raise Unprocessable(f"At most {MAX_ROWS} rows per file.", error="too_many_rows")
            extra = record.pop(None, None)  # type: ignore[call-overload]
            values = {k: (v or "").strip() for k, v in record.items()}
            row = _Row(line=reader.line_num, values=values)
            if extra:
                row.fail("row", "More cells than header columns.")
            if any(values.values()) or extra:
                rows.append(row)
    except csv.Error as exc:
        raise Unprocessable(f"The CSV cannot be parsed: {exc}.", error="invalid_csv") from exc
    if not rows:
        raise Unprocessable("The file has no data rows.", error="empty_file")
    return rows


def _parse_date(row: _Row, column: str) -> date | None:
    raw = row.values.get(column, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        row.fail(column, "Use YYYY-MM-DD.")
        return None


def _parse_float(row: _Row, column: str, low: float, high: float) -> float | None:
    raw = row.values.get(column, "")
    try:
        value = float(raw)
    except ValueError:
        row.fail(column, "Not a number.")
        return None
    if not low <= value <= high:
        row.fail(column, f"Must be between {low} and {high}.")
        return None
    return value


def _validate_fields(row: _Row, customers: dict[str, int],
                     models: dict[tuple[str, str], int]) -> None:
    v, clean = row.values, row.clean
    for column in REQUIRED_COLUMNS:
        if not v.get(column):
            row.fail(column, "Required.")
    clean["customer_id"] = customers.get(v["customer_account"])
    if v["customer_account"] and clean["customer_id"] is None:
        row.fail("customer_account", "Unknown customer account.")
    clean["equipment_model_id"] = models.get((v["manufacturer"], v["model"]))
    if v["manufacturer"] and v["model"] and clean["equipment_model_id"] is None:
        row.fail("model", "Unknown equipment model.")
    tag = v["tag"].upper()
    if tag and not _TAG.match(tag):
        row.fail("tag", "3–40 letters, digits or dashes.")
    clean["tag"] = tag
    clean["parent_tag"] = v.get("parent_tag", "").upper() or None
    status = v.get("status") or "operational"
    if status not in ASSET_STATUS_VALUES:
        row.fail("status", f"One of {', '.join(ASSET_STATUS_VALUES)}.")
    clean["status"] = status
    criticality = v.get("criticality") or "3"
    if not (criticality.isdigit() and 1 <= int(criticality) <= 5):
        row.fail("criticality", "A whole number 1–5.")
    else:
        clean["criticality"] = int(criticality)
    clean["install_date"] = _parse_date(row, "install_date")
    clean["warranty_end"] = _parse_date(row, "warranty_end")
    if clean["install_date"] and clean["warranty_end"] and (
            clean["warranty_end"] < clean["install_date"]):
        row.fail("warranty_end", "Before the install date.")
    for column, limit in (("serial_number", 80), ("name", 200), ("location_note", 200),
                          ("site_name", 200), ("address_line", 300), ("city", 120),
                          ("postal_code", 20)):
        if len(v.get(column, "")) > limit:
            row.fail(column, f"At most {limit} characters.")
    country = v.get("country") or "DE"
    if not re.fullmatch(r"[A-Z]{2}", country):
        row.fail("country", "ISO 3166 alpha-2, e.g. DE.")
    clean["country"] = country


def import_assets_csv(session: Session, raw: bytes, *, actor: User) -> ImportSummary:
    """All rows or nothing: any bad row answers 422 listing every bad row with its line."""
    rows = _read_rows(_decode(raw))
    # Read only what the file names, so an import costs the same in a large database.
    accounts = {r.values["customer_account"] for r in rows}
    customers = dict(session.execute(select(Customer.account_number, Customer.id).where(
        Customer.account_number.in_(accounts))).tuples().all())
    models = {(m, n): i for m, n, i in session.execute(
        select(EquipmentModel.manufacturer, EquipmentModel.model, EquipmentModel.id))}
    existing_sites = {(c, n): (i, c) for c, n, i in session.execute(
        select(Site.customer_id, Site.name, Site.id).where(
            Site.customer_id.in_(customers.values())))}
    existing_tags = _assets_by_tag(session, _named_tags(rows))

    new_sites: dict[tuple[int, str], dict[str, Any]] = {}
    file_tags: dict[str, _Row] = {}
    for row in rows:
        _validate_fields(row, customers, models)
        tag = row.clean["tag"]
        if tag in existing_tags:
            row.fail("tag", "An asset with this tag exists.")
        elif tag in file_tags:
            row.fail("tag", f"Duplicate of line {file_tags[tag].line}.")
        elif tag:
            file_tags[tag] = row
        key = (row.clean["customer_id"], row.values["site_name"])
        if row.clean["customer_id"] is not None and key not in existing_sites:
            _collect_new_site(row, key, new_sites)
        row.clean["site_key"] = key

    _check_hierarchy(rows, file_tags, existing_tags, existing_sites)
    bad = [r for r in rows if r.errors]
    if bad:
        listed = [{"line": r.line, "errors": r.errors} for r in bad[:MAX_ERRORS_LISTED]]
        raise Unprocessable(f"{len(bad)} of {len(rows)} rows are invalid; nothing was imported.",
                            error="invalid_rows", errors={"rows": listed, "bad_rows": len(bad)})
    return _write(session, rows, new_sites, existing_sites, actor)


def _named_tags(rows: list[_Row]) -> set[str]:
    """Every tag the file mentions, as an asset or as a parent."""
    return {t for r in rows for t in (r.values.get("tag", "").upper(),
                                      r.values.get("parent_tag", "").upper()) if t}


def _assets_by_tag(session: Session, tags: set[str]) -> dict[str, tuple[int, int]]:
    """tag -> (id, site_id) for the given tags, read in chunks (bound-parameter limits)."""
    found: dict[str, tuple[int, int]] = {}
    ordered = sorted(tags)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        found.update({t: (i, site) for t, i, site in session.execute(
            select(Asset.tag, Asset.id, Asset.site_id).where(Asset.tag.in_(chunk)))})
    return found


def _collect_new_site(row: _Row, key: tuple[int, str], new_sites: dict[Any, Any]) -> None:
    v = row.values
    if key in new_sites:
        first = new_sites[key]
        if (v.get("lat") or v.get("lng")) and (v.get("lat"), v.get("lng")) != (
                first["raw_lat"], first["raw_lng"]):
            row.fail("lat", f"Site {v['site_name']!r} has another point on line {first['line']}.")
        return
    for column in ("address_line", "city", "lat", "lng"):
        if not v.get(column):
            row.fail(column, "Required for a new site.")
    lat = _parse_float(row, "lat", -90, 90) if v.get("lat") else None
    lng = _parse_float(row, "lng", -180, 180) if v.get("lng") else None
    new_sites[key] = {
        "line": row.line, "raw_lat": v.get("lat"), "raw_lng": v.get("lng"),
        "values": {"customer_id": key[0], "name": v["site_name"],
                   "address_line": v.get("address_line", ""), "city": v.get("city", ""),
                   "postal_code": v.get("postal_code") or None, "country": row.clean["country"],
                   "location": geo.to_point(lat, lng) if lat is not None and lng is not None
                   else None, "opening_hours": {}},
    }


def _check_hierarchy(rows: list[_Row], file_tags: dict[str, _Row],
                     existing_tags: dict[str, Any], existing_sites: dict[Any, Any]) -> None:
    """Parents exist (in the file or the database), stand on the same site, and no cycle."""
    existing_site_of = {i: key for key, (i, _c) in existing_sites.items()}
    for row in rows:
        parent = row.clean["parent_tag"]
        if not parent:
            continue
        if parent == row.clean["tag"]:
            row.fail("parent_tag", "An asset cannot be its own parent.")
        elif parent in file_tags:
            if file_tags[parent].clean["site_key"] != row.clean["site_key"]:
                row.fail("parent_tag", "The parent is on another site.")
        elif parent in existing_tags:
            if existing_site_of.get(existing_tags[parent][1]) != row.clean["site_key"]:
                row.fail("parent_tag", "The parent is on another site.")
        else:
            row.fail("parent_tag", "Unknown parent tag.")
    for row in rows:
        seen, tag = set(), row.clean["tag"]
        while tag in file_tags and tag not in seen:
            seen.add(tag)
            tag = file_tags[tag].clean["parent_tag"]
        if tag in seen and not row.errors.get("parent_tag"):
            row.fail("parent_tag", "Cycle in the asset hierarchy.")


def _write(session: Session, rows: list[_Row], new_sites: dict[Any, Any],
           existing_sites: dict[Any, Any], actor: User) -> ImportSummary:
    site_ids = {key: i for key, (i, _c) in existing_sites.items()}
    for key, spec in new_sites.items():
        site = Site(**spec["values"])
        session.add(site)
        session.flush()  # flush: assets below need the new site's id
        site_ids[key] = site.id
    asset_rows = [{
        "tag": r.clean["tag"], "site_id": site_ids[r.clean["site_key"]],
        "equipment_model_id": r.clean["equipment_model_id"],
        "serial_number": r.values.get("serial_number") or None,
        "name": r.values.get("name") or None,
        "location_note": r.values.get("location_note") or None,
        "status": r.clean["status"], "criticality": r.clean["criticality"],
        "install_date": r.clean["install_date"], "warranty_end": r.clean["warranty_end"],
    } for r in rows]
    session.execute(insert(Asset), asset_rows)
    # Parents may be existing assets or rows of this file: read the ids of both kinds.
    tag_ids = {t: i for t, (i, _site) in _assets_by_tag(session, _named_tags(rows)).items()}
    links = [{"id": tag_ids[r.clean["tag"]], "parent_id": tag_ids[r.clean["parent_tag"]]}
             for r in rows if r.clean["parent_tag"]]
    if links:
        session.execute(update(Asset), links)
    session.execute(insert(AssetStatusChange), [
        {"asset_id": tag_ids[r.clean["tag"]], "from_status": None, "to_status": r.clean["status"],
         "reason": "imported", "changed_by_id": actor.id} for r in rows])
    return ImportSummary(rows=len(rows), sites_created=len(new_sites),
                         assets_created=len(asset_rows))
