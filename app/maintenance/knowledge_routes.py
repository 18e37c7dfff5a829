"""Failure taxonomy and knowledge base under /api/v1/maintenance; article suggestions for a
work order and for the technician's job. Admins and dispatchers write; technicians read,
rate and record "solved with this article" on their own jobs."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import STAFF, actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db
from app.maintenance import schemas, service
from app.maintenance.models import ArticleRating, ArticleSolution, FailureCode
from app.workorders import service as workorders

blp = Blueprint("knowledge", __name__, url_prefix="/api/v1",
                description="Failure codes per equipment model and knowledge articles.")

PLANNERS = (Role.admin, Role.dispatcher)
READERS = (Role.admin, Role.dispatcher, Role.technician)


@blp.route("/maintenance/failure-codes")
class FailureCodes(MethodView):
    @require_roles(*STAFF)
    @blp.arguments(schemas.FailureCodeQuery, location="query")
    @blp.response(200, schemas.FailureCodeOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[FailureCode]:
        """A model's taxonomy: problems, causes (parent: a problem), remedies (parent: a
        cause)."""
        return fetch_page(db.session, service.list_failure_codes(db.session, actor=actor(),
                                                                 **query),
                          pagination_parameters)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.FailureCodeCreate)
    @blp.response(201, schemas.FailureCodeOut)
    @blp.alt_response(409, schema=ErrorSchema, description="failure_code_taken.")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown model or wrong parent.")
    def post(self, body: dict[str, Any]) -> FailureCode:
        """Add a code to a model's taxonomy. Corrective work on the model then completes only
        with a problem, a cause of it and a remedy of that cause."""
        code = service.create_failure_code(db.session, actor=actor(), **body)
        db.session.commit()
        return code


@blp.route("/maintenance/articles")
class Articles(MethodView):
    @require_roles(*READERS)
    @blp.arguments(schemas.ArticleQuery, location="query")
    @blp.response(200, schemas.ArticleOut(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Search articles by words (English and Chinese), equipment model and failure code;
        best 20 first."""
        return service.search_articles(db.session, actor=actor(), **query)

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ArticleCreate)
    @blp.response(201, schemas.ArticleOut)
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown equipment model.")
    def post(self, body: dict[str, Any]) -> Any:
        """Write an article: text, steps, images, linked models and failure codes."""
        article = service.create_article(db.session, actor=actor(), **body)
        db.session.commit()
        return service.article_with_counts(db.session, article)


@blp.route("/maintenance/articles/<id:article_id>")
class ArticleById(MethodView):
    @require_roles(*READERS)
    @blp.response(200, schemas.ArticleOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such article.")
    def get(self, article_id: int) -> Any:
        """One article with its ratings and how often it solved a job."""
        return service.article_with_counts(
            db.session, service.get_article(db.session, article_id, actor=actor()))

    @require_roles(*PLANNERS)
    @blp.arguments(schemas.ArticleUpdate)
    @blp.response(200, schemas.ArticleOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such article.")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown equipment model.")
    def patch(self, body: dict[str, Any], article_id: int) -> Any:
        """Edit an article."""
        article = service.update_article(
            db.session, service.get_article(db.session, article_id, actor=actor()), body,
            actor=actor())
        db.session.commit()
        return service.article_with_counts(db.session, article)


@blp.route("/maintenance/articles/<id:article_id>/rating")
class ArticleRatingView(MethodView):
    @require_roles(*READERS)
    @blp.arguments(schemas.ArticleRatingIn)
    @blp.response(200, schemas.ArticleRatingOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such article.")
    def put(self, body: dict[str, Any], article_id: int) -> ArticleRating:
        """Useful or not: one verdict per person, changeable."""
        article = service.get_article(db.session, article_id, actor=actor())
        rating = service.rate_article(db.session, article, useful=body["useful"],
                                      actor=actor())
        db.session.commit()
        return rating


@blp.route("/maintenance/articles/<id:article_id>/solutions")
class ArticleSolutions(MethodView):
    @require_roles(*READERS)
    @blp.arguments(schemas.ArticleSolutionIn)
    @blp.response(201, schemas.ArticleSolutionOut)
    @blp.alt_response(404, schema=ErrorSchema, description="No such article, or not a work "
                      "order of yours.")
    def post(self, body: dict[str, Any], article_id: int) -> ArticleSolution:
        """Record that a job was solved with this article (a technician: own jobs only)."""
        article = service.get_article(db.session, article_id, actor=actor())
        work_order = workorders.get_work_order_for(db.session, body["work_order_id"],
                                                   actor=actor())
        solution = service.record_solution(db.session, article, work_order, actor=actor())
        db.session.commit()
        return solution


@blp.route("/work-orders/<id:work_order_id>/suggested-articles")
class SuggestedArticles(MethodView):
    @require_roles(*READERS)
    @blp.response(200, schemas.ArticleOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="Not a work order you may see.")
    def get(self, work_order_id: int) -> Any:
        """Articles for this job by its equipment model, failure codes and the words of its
        fault description (a technician: own jobs; the phone shows the same list)."""
        work_order = workorders.get_work_order_for(db.session, work_order_id, actor=actor())
        return service.suggest_articles(db.session, work_order)
