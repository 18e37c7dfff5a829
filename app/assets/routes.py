from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app.assets import importer, labels, schemas, service
from app.assets.models import Asset, Customer, EquipmentModel, MeterReading, Site, Skill
from app.auth.models import Role
from app.auth.permissions import ANY_ROLE, STAFF, actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db
from app.public_url import public_base_url

blp = Blueprint("assets", __name__, url_prefix="/api/v1",
                description="Customers, sites, skills, equipment models, assets, labels.")

WRITERS = (Role.admin, Role.dispatcher)


# --- customers ---------------------------------------------------------------------------

@blp.route("/customers")
class Customers(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.CustomerQuery, location="query")
    @blp.response(200, schemas.Customer(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Customer]:
        """Customer accounts (a customer user sees only its own)."""
        return fetch_page(db.session, service.list_customers(db.session, actor=actor(), **query),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(schemas.CustomerCreate)
    @blp.response(201, schemas.Customer)
    @blp.alt_response(409, schema=ErrorSchema, description="Account number taken.")
    def post(self, body: dict[str, Any]) -> Customer:
        """Create a customer account (admin, dispatcher)."""
        customer = service.create_customer(db.session, body, actor=actor())
        db.session.commit()
        return customer


@blp.route("/customers/<id:customer_id>")
class CustomerById(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.Customer)
    def get(self, customer_id: int) -> Customer:
        """One customer account."""
        return service.get_customer(db.session, customer_id, actor=actor())

    @require_roles(*WRITERS)
    @blp.arguments(schemas.CustomerUpdate)
    @blp.response(200, schemas.Customer)
    def patch(self, body: dict[str, Any], customer_id: int) -> Customer:
        """Edit a customer account (admin, dispatcher)."""
        customer = service.update_customer(
            db.session, service.get_customer(db.session, customer_id, actor=actor()), body,
            actor=actor())
        db.session.commit()
        return customer


# --- sites -------------------------------------------------------------------------------

@blp.route("/sites")
class Sites(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.SiteQuery, location="query")
    @blp.response(200, schemas.Site(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Site]:
        """Sites, filterable by customer and text (a customer sees only its own)."""
        return fetch_page(db.session, service.list_sites(db.session, actor=actor(), **query),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(schemas.SiteCreate)
    @blp.response(201, schemas.Site)
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown customer, bad hours.")
    def post(self, body: dict[str, Any]) -> Site:
        """Create a site with its point and weekly opening hours (admin, dispatcher)."""
        site = service.create_site(db.session, body, actor=actor())
        db.session.commit()
        return site


@blp.route("/sites/nearby")
class SitesNearby(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.NearbyQuery, location="query")
    @blp.response(200, schemas.Site(many=True))
    def get(self, query: dict[str, Any]) -> list[Site]:
        """Sites within `radius_m` of a point, nearest first, with `distance_m`."""
        return service.nearby_sites(db.session, actor=actor(), **query)


@blp.route("/sites/<id:site_id>")
class SiteById(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.Site)
    def get(self, site_id: int) -> Site:
        """One site."""
        return service.get_site(db.session, site_id, actor=actor())

    @require_roles(*WRITERS)
    @blp.arguments(schemas.SiteUpdate)
    @blp.response(200, schemas.Site)
    def patch(self, body: dict[str, Any], site_id: int) -> Site:
        """Edit a site (admin, dispatcher)."""
        site = service.update_site(db.session, service.get_site(db.session, site_id,
                                                                actor=actor()), body,
                                   actor=actor())
        db.session.commit()
        return site


# --- skills ------------------------------------------------------------------------------

@blp.route("/skills")
class Skills(MethodView):
    @require_roles(*STAFF)
    @blp.response(200, schemas.Skill(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Skill]:
        """The skill catalogue (staff)."""
        return fetch_page(db.session, service.list_skills(db.session), pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(schemas.SkillCreate)
    @blp.response(201, schemas.Skill)
    @blp.alt_response(409, schema=ErrorSchema, description="Code taken.")
    def post(self, body: dict[str, Any]) -> Skill:
        """Add a skill (admin)."""
        skill = service.create_skill(db.session, body, actor=actor())
        db.session.commit()
        return skill


@blp.route("/skills/<id:skill_id>")
class SkillById(MethodView):
    @require_roles(*STAFF)
    @blp.response(200, schemas.Skill)
    def get(self, skill_id: int) -> Skill:
        """One skill (staff)."""
        return service.get_skill(db.session, skill_id)

    @require_roles(Role.admin)
    @blp.arguments(schemas.SkillUpdate)
    @blp.response(200, schemas.Skill)
    def patch(self, body: dict[str, Any], skill_id: int) -> Skill:
        """Rename or describe a skill (admin)."""
        skill = service.update_skill(db.session, service.get_skill(db.session, skill_id), body,
                                     actor=actor())
        db.session.commit()
        return skill


# --- equipment models --------------------------------------------------------------------

@blp.route("/equipment-models")
class EquipmentModels(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.EquipmentModelQuery, location="query")
    @blp.response(200, schemas.EquipmentModel(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[EquipmentModel]:
        """Equipment models with the skills their repairs need."""
        return fetch_page(db.session, service.list_equipment_models(db.session, **query),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(schemas.EquipmentModelCreate)
    @blp.response(201, schemas.EquipmentModel)
    @blp.alt_response(409, schema=ErrorSchema, description="Model exists.")
    def post(self, body: dict[str, Any]) -> EquipmentModel:
        """Create an equipment model with required skills (admin, dispatcher)."""
        model = service.create_equipment_model(db.session, body, actor=actor())
        db.session.commit()
        return model


@blp.route("/equipment-models/<id:model_id>")
class EquipmentModelById(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.EquipmentModel)
    def get(self, model_id: int) -> EquipmentModel:
        """One equipment model."""
        return service.get_equipment_model(db.session, model_id)

    @require_roles(*WRITERS)
    @blp.arguments(schemas.EquipmentModelUpdate)
    @blp.response(200, schemas.EquipmentModel)
    def patch(self, body: dict[str, Any], model_id: int) -> EquipmentModel:
        """Edit an equipment model; `skills` replaces the list (admin, dispatcher)."""
        model = service.update_equipment_model(
            db.session, service.get_equipment_model(db.session, model_id), body, actor=actor())
        db.session.commit()
        return model


# --- assets ------------------------------------------------------------------------------

@blp.route("/assets")
class Assets(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.AssetQuery, location="query")
    @blp.response(200, schemas.Asset(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Asset]:
        """Assets, filterable by site, customer, model, status, parent and text."""
        return fetch_page(db.session, service.list_assets(db.session, actor=actor(), **query),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(schemas.AssetCreate)
    @blp.response(201, schemas.Asset)
    @blp.alt_response(409, schema=ErrorSchema, description="Tag taken.")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown site/model, bad parent.")
    def post(self, body: dict[str, Any]) -> Asset:
        """Register an asset (admin, dispatcher)."""
        asset = service.create_asset(db.session, body, actor=actor())
        db.session.commit()
        return asset


@blp.route("/assets/nearby")
class AssetsNearby(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.NearbyQuery, location="query")
    @blp.response(200, schemas.NearbyAsset(many=True))
    def get(self, query: dict[str, Any]) -> list[Asset]:
        """Assets whose site lies within `radius_m` of a point, nearest first."""
        return service.nearby_assets(db.session, actor=actor(), **query)


@blp.route("/assets/by-tag/<string:tag>")
class AssetByTag(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.AssetDetail)
    def get(self, tag: str) -> service.AssetRecord:
        """Resolve a scanned label's tag to the asset's full record."""
        asset = service.get_asset_by_tag(db.session, tag, actor=actor())
        return service.asset_detail(db.session, asset)


@blp.route("/assets/import")
class AssetImport(MethodView):
    @require_roles(*WRITERS)
    @blp.arguments(schemas.ImportUpload, location="files")
    @blp.response(201, schemas.ImportResult)
    @blp.alt_response(422, schema=ErrorSchema, description="Bad file or rows; nothing written.")
    def post(self, files: dict[str, Any]) -> Any:
        """Import sites and assets from a CSV file (multipart field `file`); all or nothing.

        Columns: customer_account, site_name, tag, manufacturer, model (required);
        address_line, city, lat, lng (required for a new site); postal_code, country,
        serial_number, name, location_note, parent_tag, status, criticality, install_date,
        warranty_end (optional). Any bad row answers 422 with every bad row's line number and
        reasons, and nothing is written.
        """
        upload = files["file"]
        try:
            raw = upload.read()
        finally:
            upload.close()  # the spooled temp file of a large upload
        summary = importer.import_assets_csv(db.session, raw, actor=actor())
        db.session.commit()
        return summary


@blp.route("/assets/<id:asset_id>")
class AssetById(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.AssetDetail)
    def get(self, asset_id: int) -> service.AssetRecord:
        """The asset's full record: model, site, children, status history, meter readings."""
        asset = service.get_asset(db.session, asset_id, actor=actor())
        return service.asset_detail(db.session, asset)

    @require_roles(*WRITERS)
    @blp.arguments(schemas.AssetUpdate)
    @blp.response(200, schemas.Asset)
    @blp.alt_response(422, schema=ErrorSchema, description="Bad parent or references.")
    def patch(self, body: dict[str, Any], asset_id: int) -> Asset:
        """Edit an asset; status changes are kept in its history (admin, dispatcher)."""
        asset = service.update_asset(
            db.session, service.get_asset(db.session, asset_id, actor=actor()), body,
            actor=actor())
        db.session.commit()
        return asset


_PNG = {"type": "string", "format": "binary"}


@blp.route("/assets/<id:asset_id>/label.png")
class AssetLabelPng(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, _PNG, content_type="image/png")
    def get(self, asset_id: int) -> Response:
        """Printable label: a QR code for the public fault-report page, tag and model below."""
        asset = service.get_asset(db.session, asset_id, actor=actor())
        url = labels.fault_report_url(public_base_url(), asset.tag)
        response = Response(labels.label_png(asset, url), mimetype="image/png")
        response.headers.set("Content-Disposition", "attachment",
                             filename=f"label-{asset.tag}.png")
        return response


@blp.route("/assets/<id:asset_id>/label.svg")
class AssetLabelSvg(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, {"type": "string"}, content_type="image/svg+xml")
    def get(self, asset_id: int) -> Response:
        """The same label as SVG, for sticker printers."""
        asset = service.get_asset(db.session, asset_id, actor=actor())
        url = labels.fault_report_url(public_base_url(), asset.tag)
        response = Response(labels.label_svg(asset, url), mimetype="image/svg+xml")
        response.headers.set("Content-Disposition", "attachment",
                             filename=f"label-{asset.tag}.svg")
        return response


@blp.route("/assets/<id:asset_id>/meter-readings")
class AssetMeterReadings(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.MeterReading(many=True))
    @blp.paginate()
    def get(self, asset_id: int, pagination_parameters: Any) -> list[MeterReading]:
        """The asset's meter readings, newest first."""
        asset = service.get_asset(db.session, asset_id, actor=actor())
        return fetch_page(db.session, service.list_meter_readings(db.session, asset),
                          pagination_parameters)

    @require_roles(Role.admin, Role.dispatcher, Role.technician)
    @blp.arguments(schemas.MeterReadingCreate)
    @blp.response(201, schemas.MeterReading)
    @blp.alt_response(422, schema=ErrorSchema, description="Lower than the last reading.")
    def post(self, body: dict[str, Any], asset_id: int) -> MeterReading:
        """Record a meter reading; lower than the last one only as a meter replacement."""
        asset = service.get_asset(db.session, asset_id, actor=actor())
        reading = service.record_meter_reading(db.session, asset, **body, actor=actor())
        db.session.commit()
        return reading
