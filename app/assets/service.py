"""Business rules for customers, sites, skills, equipment models, assets and meters.

Ownership: a customer user sees only its own account's customers, sites and assets; a
technician only the customers and sites of work orders assigned to them, and the assets at
those sites; anything else answers 404 (not 403) so that its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table

from app import geo
from app.assets.models import (
    Asset,
    AssetStatusChange,
    Customer,
    EquipmentModel,
    EquipmentModelSkill,
    MeterReading,
    Site,
    Skill,
)
from app.auth.models import Role, User
from app.db import matches_text, utcnow
from app.errors import Conflict, NotFound, Unprocessable

# Work orders build on assets, not the reverse: their table is named here, not imported.
_work_orders = sql_table("work_orders", sql_column("customer_id"), sql_column("site_id"),
                         sql_column("assignee_user_id"))


def _assigned(actor: User, what: Any) -> Any:
    return select(what).where(_work_orders.c.assignee_user_id == actor.id)


def _customer_scope(actor: User) -> list[Any]:
    """Conditions on Customer confining a customer user or a technician; none for office."""
    if actor.role == Role.customer:
        return [Customer.id == actor.customer_id]
    if actor.role == Role.technician:
        return [Customer.id.in_(_assigned(actor, _work_orders.c.customer_id))]
    return []


def _site_scope(actor: User) -> list[Any]:
    """Conditions on Site confining a customer user or a technician; none for office."""
    if actor.role == Role.customer:
        return [Site.customer_id == actor.customer_id]
    if actor.role == Role.technician:
        return [Site.id.in_(_assigned(actor, _work_orders.c.site_id))]
    return []


# --- customers ---------------------------------------------------------------------------

def list_customers(session: Session, *, actor: User, q: str | None = None,
                   sla_tier: str | None = None) -> Select[Any]:
    stmt = select(Customer).where(*_customer_scope(actor)).order_by(Customer.name, Customer.id)
    if q:
        stmt = stmt.where(or_(matches_text(Customer.name, q),
                              matches_text(Customer.account_number, q)))
    if sla_tier:
        stmt = stmt.where(Customer.sla_tier == sla_tier)
    return stmt


def get_customer(session: Session, customer_id: int, *, actor: User) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.id == customer_id,
                                                     *_customer_scope(actor)))
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def create_customer(session: Session, data: dict[str, Any], *, actor: User) -> Customer:
    """Account numbers are unique."""
    if session.scalar(select(Customer.id).where(
            Customer.account_number == data["account_number"])) is not None:
        raise Conflict("A customer with this account number exists.", error="duplicate_account")
    customer = Customer(**data)
    session.add(customer)
    session.flush()  # flush: the response carries the new id
    return customer


def update_customer(session: Session, customer: Customer, changes: dict[str, Any], *,
                    actor: User) -> Customer:
    for key, value in changes.items():
        setattr(customer, key, value)
    return customer


# --- sites -------------------------------------------------------------------------------

def list_sites(session: Session, *, actor: User, customer_id: int | None = None,
               q: str | None = None) -> Select[Any]:
    stmt = select(Site).where(*_site_scope(actor)).order_by(Site.name, Site.id)
    if customer_id:
        stmt = stmt.where(Site.customer_id == customer_id)
    if q:
        stmt = stmt.where(or_(matches_text(Site.name, q),
                              matches_text(Site.address_line, q),
                              matches_text(Site.city, q)))
    return stmt


def get_site(session: Session, site_id: int, *, actor: User) -> Site:
    site = session.scalar(select(Site).where(Site.id == site_id, *_site_scope(actor)))
    if site is None:
        raise NotFound("Site not found.")
    return site


def _site_values(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    if "location" in values:
        values["location"] = geo.to_point(values["location"]["lat"], values["location"]["lng"])
    return values


def create_site(session: Session, data: dict[str, Any], *, actor: User) -> Site:
    """A site belongs to an existing customer and has a valid point."""
    if session.get(Customer, data["customer_id"]) is None:
        raise Unprocessable("Unknown customer.", errors={"customer_id": ["No such customer."]})
    site = Site(**_site_values(data))
    session.add(site)
    session.flush()  # flush: the response carries the new id
    return site


def update_site(session: Session, site: Site, changes: dict[str, Any], *, actor: User) -> Site:
    for key, value in _site_values(changes).items():
        setattr(site, key, value)
    return site


# Sites kept by the cheap nearness key beyond those needed, then ordered exactly.
NEAR_SPARE = 10


def _near_matching(scope: list[Any], with_assets: bool) -> list[Any]:
    if with_assets:
        return [*scope, select(Asset.id).where(Asset.site_id == Site.id).exists()]
    return scope


def _nearest_sites(session: Session, *, lat: float, lng: float, radius_m: float, limit: int,
                   actor: User, with_assets: bool = False) -> Select[Any]:
    """Site ids and exact distances of the `limit` nearest sites within radius_m (with
    assets only, if asked): the index and a cheap key pick a few more than `limit`, the exact
    distance is computed for those alone (geo.nearness)."""
    matching = _near_matching(list(_site_scope(actor)), with_assets)
    search_m = geo.search_radius(session, Site.location, lat, lng, radius_m, need=limit,
                                 where=matching)
    return _near_sites_select(session, lat, lng, radius_m, search_m, limit + NEAR_SPARE,
                              matching)


def _near_sites_select(session: Session, lat: Any, lng: Any, radius_m: Any, search_m: Any,
                       picked: Any, matching: list[Any]) -> Select[Any]:
    """The exact distances of the `picked` sites nearest by geo.nearness's key within
    search_m, kept within radius_m (values, or bound parameters: `_PostgisNearby`)."""
    where, key = geo.nearness(session, Site.location, lat, lng, search_m)
    picked_sq = (select(Site.id.label("site_id")).where(where, *matching)
                 .order_by(key, Site.id).limit(picked).subquery("picked"))
    distance = geo.distance_m(session, Site.location, lat, lng)
    return (select(Site.id.label("site_id"), distance.label("distance_m"))
            .join(picked_sq, picked_sq.c.site_id == Site.id)
            .where(distance <= radius_m))


class _PostgisNearby:
    """Nearby assets on PostGIS with two statements built once per kind of actor (their
    cache keys with them; building them cost more Python than the request's other work):
    the KNN statement that sizes the search radius, and the assets of the nearest sites.
    Every value is a bound parameter; the statements are those `_nearest_sites` builds."""

    _built: dict[str, tuple[Any, Any]] = {}

    @classmethod
    def statements(cls, session: Session, role: str) -> tuple[Any, Any]:
        found = cls._built.get(role)
        if found is None:
            p = bindparam
            if role == Role.customer:
                scope = [Site.customer_id == p("owner")]
            elif role == Role.technician:
                scope = [Site.id.in_(select(_work_orders.c.site_id).where(
                    _work_orders.c.assignee_user_id == p("owner")))]
            else:
                scope = []
            matching = _near_matching(scope, True)
            knn = geo.knn_statement(Site.location, p("lat"), p("lng"), p("radius_m"),
                                    p("skip"), matching)
            sites = _near_sites_select(session, p("lat"), p("lng"), p("radius_m"),
                                       p("search_m"), p("picked"), matching
                                       ).cte("near_sites").prefix_with("MATERIALIZED")
            found = (knn, _assets_of_sites(sites).limit(p("limit")))
            cls._built[role] = found
        return found

    @classmethod
    def assets(cls, session: Session, *, lat: float, lng: float, radius_m: float, limit: int,
               actor: User) -> Any:
        knn, assets = cls.statements(session, actor.role)
        values = {"lat": lat, "lng": lng, "radius_m": radius_m, "skip": limit - 1,
                  "picked": limit + NEAR_SPARE, "limit": limit,
                  "owner": actor.customer_id if actor.role == Role.customer else actor.id}
        search_m = geo.radius_holding(session.scalar(knn, values), radius_m)
        return session.execute(assets, {**values, "search_m": search_m})


def nearby_sites(session: Session, *, lat: float, lng: float, radius_m: float, limit: int,
                 actor: User) -> list[Site]:
    """Sites within radius_m, nearest first, each with `distance_m` set."""
    near = _nearest_sites(session, lat=lat, lng=lng, radius_m=radius_m, limit=limit,
                          actor=actor).cte("near_sites").prefix_with("MATERIALIZED")
    stmt = (select(Site, near.c.distance_m).join(near, near.c.site_id == Site.id)
            .order_by(near.c.distance_m, Site.id).limit(limit))
    found = []
    for site, metres in session.execute(stmt):
        site.distance_m = float(metres)
        found.append(site)
    return found


# --- skills and equipment models ---------------------------------------------------------

def list_skills(session: Session) -> Select[Any]:
    return select(Skill).order_by(Skill.code)


def get_skill(session: Session, skill_id: int) -> Skill:
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise NotFound("Skill not found.")
    return skill


def create_skill(session: Session, data: dict[str, Any], *, actor: User) -> Skill:
    if session.scalar(select(Skill.id).where(Skill.code == data["code"])) is not None:
        raise Conflict("A skill with this code exists.", error="duplicate_skill")
    skill = Skill(**data)
    session.add(skill)
    session.flush()  # flush: the response carries the new id
    return skill


def update_skill(session: Session, skill: Skill, changes: dict[str, Any], *,
                 actor: User) -> Skill:
    for key, value in changes.items():
        setattr(skill, key, value)
    return skill


def skills_by_code(session: Session, codes: Sequence[str]) -> dict[str, Skill]:
    """Skills for the given codes; unknown codes are a 422 naming them."""
    found = {s.code: s for s in session.scalars(select(Skill).where(Skill.code.in_(codes)))}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise Unprocessable(f"Unknown skill(s): {', '.join(missing)}.",
                            errors={"skills": [f"Unknown skill code {c!r}." for c in missing]})
    return found


def _requirements(session: Session, reqs: list[dict[str, Any]]) -> list[EquipmentModelSkill]:
    codes = [r["skill"] for r in reqs]
    if len(set(codes)) != len(codes):
        raise Unprocessable("A skill is listed twice.", errors={"skills": ["Duplicate skill."]})
    skills = skills_by_code(session, codes)
    return [EquipmentModelSkill(skill=skills[r["skill"]], min_level=r["min_level"])
            for r in reqs]


def list_equipment_models(session: Session, *, category: str | None = None,
                          q: str | None = None) -> Select[Any]:
    stmt = (select(EquipmentModel).options(
        selectinload(EquipmentModel.skills).selectinload(EquipmentModelSkill.skill))
        .order_by(EquipmentModel.manufacturer, EquipmentModel.model))
    if category:
        stmt = stmt.where(EquipmentModel.category == category)
    if q:
        stmt = stmt.where(or_(matches_text(EquipmentModel.manufacturer, q),
                              matches_text(EquipmentModel.model, q)))
    return stmt


def get_equipment_model(session: Session, model_id: int) -> EquipmentModel:
    model = session.get(EquipmentModel, model_id, options=[
        selectinload(EquipmentModel.skills).selectinload(EquipmentModelSkill.skill)])
    if model is None:
        raise NotFound("Equipment model not found.")
    return model


def create_equipment_model(session: Session, data: dict[str, Any], *,
                           actor: User) -> EquipmentModel:
    """Manufacturer + model is unique; required skills must exist."""
    if session.scalar(select(EquipmentModel.id).where(
            EquipmentModel.manufacturer == data["manufacturer"],
            EquipmentModel.model == data["model"])) is not None:
        raise Conflict("This equipment model exists.", error="duplicate_equipment_model")
    values = dict(data)
    reqs = _requirements(session, values.pop("skills", []))
    model = EquipmentModel(**values)
    model.skills = reqs
    session.add(model)
    session.flush()  # flush: the response carries the new id
    return model


def update_equipment_model(session: Session, model: EquipmentModel, changes: dict[str, Any],
                           *, actor: User) -> EquipmentModel:
    values = dict(changes)
    if "skills" in values:
        model.skills = _requirements(session, values.pop("skills"))
    for key, value in values.items():
        setattr(model, key, value)
    return model


# --- assets ------------------------------------------------------------------------------

def list_assets(session: Session, *, actor: User, site_id: int | None = None,
                customer_id: int | None = None, equipment_model_id: int | None = None,
                status: str | None = None, parent_id: int | None = None,
                q: str | None = None) -> Select[Any]:
    stmt = (select(Asset).join(Asset.site).options(selectinload(Asset.site))
            .where(*_site_scope(actor)).order_by(Asset.tag))
    if customer_id:
        stmt = stmt.where(Site.customer_id == customer_id)
    for column, value in ((Asset.site_id, site_id), (Asset.status, status),
                          (Asset.equipment_model_id, equipment_model_id),
                          (Asset.parent_id, parent_id)):
        if value:
            stmt = stmt.where(column == value)
    if q:
        stmt = stmt.where(or_(matches_text(Asset.tag, q),
                              matches_text(Asset.serial_number, q),
                              matches_text(Asset.name, q)))
    return stmt


def _visible(session: Session, condition: Any, actor: User) -> Asset:
    asset = session.scalar(select(Asset).join(Asset.site).where(condition, *_site_scope(actor)))
    if asset is None:
        raise NotFound("Asset not found.")
    return asset


def get_asset(session: Session, asset_id: int, *, actor: User) -> Asset:
    return _visible(session, Asset.id == asset_id, actor)


def normalise_tag(tag: str) -> str:
    return tag.strip().upper()


def get_asset_by_tag(session: Session, tag: str, *, actor: User) -> Asset:
    """Resolve a scanned label; unknown and foreign tags look the same."""
    return _visible(session, Asset.tag == normalise_tag(tag), actor)


@dataclass
class AssetRecord:
    """An asset with the history its detail view shows; reads through to the asset."""

    asset: Asset
    children: list[Asset]
    status_history: list[AssetStatusChange]
    meter_readings: list[MeterReading]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.asset, name)


def asset_detail(session: Session, asset: Asset) -> AssetRecord:
    """The asset with its children, status history and latest 50 meter readings."""
    return AssetRecord(
        asset=asset,
        children=list(session.scalars(
            select(Asset).where(Asset.parent_id == asset.id).order_by(Asset.tag))),
        status_history=list(session.scalars(
            select(AssetStatusChange).where(AssetStatusChange.asset_id == asset.id)
            .order_by(AssetStatusChange.changed_at, AssetStatusChange.id))),
        meter_readings=list(session.scalars(
            select(MeterReading).where(MeterReading.asset_id == asset.id)
            .order_by(MeterReading.read_at.desc(), MeterReading.id.desc()).limit(50))),
    )


def _check_parent(session: Session, asset_id: int | None, parent_id: int | None,
                  site_id: int) -> None:
    """A parent stands on the same site and the hierarchy has no cycle."""
    if parent_id is None:
        return
    parent = session.get(Asset, parent_id)
    if parent is None:
        raise Unprocessable("Unknown parent asset.", errors={"parent_id": ["No such asset."]})
    if parent.site_id != site_id:
        raise Unprocessable("The parent asset is on another site.",
                            errors={"parent_id": ["Parent must be on the same site."]},
                            error="parent_on_other_site")
    seen: set[int] = set()
    node: Asset | None = parent
    while node is not None:
        if node.id == asset_id or node.id in seen:
            raise Unprocessable("That parent would make a cycle in the hierarchy.",
                                errors={"parent_id": ["Cycle in the asset hierarchy."]},
                                error="hierarchy_cycle")
        seen.add(node.id)
        node = session.get(Asset, node.parent_id) if node.parent_id else None


def _check_refs(session: Session, site_id: int, model_id: int) -> None:
    if session.get(Site, site_id) is None:
        raise Unprocessable("Unknown site.", errors={"site_id": ["No such site."]})
    if session.get(EquipmentModel, model_id) is None:
        raise Unprocessable("Unknown equipment model.",
                            errors={"equipment_model_id": ["No such equipment model."]})


def create_asset(session: Session, data: dict[str, Any], *, actor: User) -> Asset:
    """Tags are unique (case-insensitive); site, model and parent must fit together."""
    values = {**data, "tag": normalise_tag(data["tag"])}
    if session.scalar(select(Asset.id).where(Asset.tag == values["tag"])) is not None:
        raise Conflict("An asset with this tag exists.", error="duplicate_tag")
    _check_refs(session, values["site_id"], values["equipment_model_id"])
    _check_parent(session, None, values.get("parent_id"), values["site_id"])
    asset = Asset(**values)
    session.add(asset)
    session.flush()  # flush: the history row needs the asset id
    session.add(AssetStatusChange(asset_id=asset.id, from_status=None, to_status=asset.status,
                                  reason="created", changed_by_id=actor.id))
    return asset


def update_asset(session: Session, asset: Asset, changes: dict[str, Any], *,
                 actor: User) -> Asset:
    """Status changes go to the append-only history with who, when and why."""
    values = dict(changes)
    reason = values.pop("status_reason", None)
    site_id = values.get("site_id", asset.site_id)
    model_id = values.get("equipment_model_id", asset.equipment_model_id)
    _check_refs(session, site_id, model_id)
    if site_id != asset.site_id and "parent_id" not in values and asset.parent_id:
        values["parent_id"] = None  # moving to another site detaches it from its parent
    if site_id != asset.site_id and session.scalar(
            select(func.count()).where(Asset.parent_id == asset.id)):
        raise Unprocessable("Move the child assets first; they would be left on another site.",
                            error="has_children")
    _check_parent(session, asset.id, values.get("parent_id", asset.parent_id), site_id)
    new_status = values.get("status", asset.status)
    if new_status != asset.status:
        session.add(AssetStatusChange(asset_id=asset.id, from_status=asset.status,
                                      to_status=new_status, reason=reason,
                                      changed_by_id=actor.id))
    for key, value in values.items():
        setattr(asset, key, value)
    return asset


def _assets_of_sites(sites: Any) -> Select[Any]:
    """The assets of the `near_sites` CTE's sites, nearest first, each with its distance."""
    return (select(Asset, sites.c.distance_m)
            .join(sites, sites.c.site_id == Asset.site_id)
            # the answer shows of the site only its customer: not its geometry and hours
            .join(Asset.site).options(contains_eager(Asset.site).load_only(Site.customer_id))
            .order_by(sites.c.distance_m, Asset.tag))


def nearby_assets(session: Session, *, lat: float, lng: float, radius_m: float, limit: int,
                  actor: User) -> list[Asset]:
    """Assets whose site lies within radius_m, nearest first, each with `distance_m`.

    The exact distance is computed once per site, for the few nearest sites that have
    assets (enough to fill `limit`), not for every site in the radius."""
    if session.get_bind().dialect.name == "postgresql" and limit >= 1:
        rows = _PostgisNearby.assets(session, lat=lat, lng=lng, radius_m=radius_m,
                                     limit=limit, actor=actor)
    else:
        sites = _nearest_sites(session, lat=lat, lng=lng, radius_m=radius_m, limit=limit,
                               actor=actor, with_assets=True
                               ).cte("near_sites").prefix_with("MATERIALIZED")
        rows = session.execute(_assets_of_sites(sites).limit(limit))
    found = []
    for asset, metres in rows:
        asset.distance_m = float(metres)
        found.append(asset)
    return found


# --- meters ------------------------------------------------------------------------------

def list_meter_readings(session: Session, asset: Asset, *, meter: str | None = None
                        ) -> Select[Any]:
    stmt = (select(MeterReading).where(MeterReading.asset_id == asset.id)
            .order_by(MeterReading.read_at.desc(), MeterReading.id.desc()))
    if meter:
        stmt = stmt.where(MeterReading.meter == meter)
    return stmt


def record_meter_reading(session: Session, asset: Asset, *, meter: str, value: Decimal,
                         unit: str | None = None, read_at: datetime | None = None,
                         is_replacement: bool = False, actor: User) -> MeterReading:
    """Meters only count up: a lower reading than the last is refused unless the meter was
    replaced."""
    read_at = read_at or utcnow()
    if read_at > utcnow():
        raise Unprocessable("A reading cannot be in the future.",
                            errors={"read_at": ["In the future."]})
    last = session.scalar(
        select(MeterReading).where(MeterReading.asset_id == asset.id, MeterReading.meter == meter)
        .order_by(MeterReading.read_at.desc(), MeterReading.id.desc()).limit(1))
    if last is not None and not is_replacement:
        if read_at < last.read_at:
            raise Unprocessable("A newer reading exists for this meter.",
                                errors={"read_at": ["Older than the last reading."]},
                                error="reading_out_of_order")
        if value < last.value:
            raise Unprocessable(
                f"The reading {value} is lower than the last one ({last.value}); "
                "flag it as a meter replacement if the meter was changed.",
                errors={"value": ["Lower than the last reading."]}, error="meter_went_backwards")
    reading = MeterReading(asset_id=asset.id, meter=meter, value=value, unit=unit,
                           read_at=read_at, is_replacement=is_replacement,
                           recorded_by_id=actor.id)
    session.add(reading)
    session.flush()  # flush: the response carries the new id
    return reading
