"""Knowledge articles: search in Chinese and English on both databases, suggestions for a
work order, usefulness ratings and "solved with this article".

Search. Neither SQLite's FTS5 nor PostgreSQL's text search segments Chinese (no spaces
between words) without extensions (zhparser, jieba) that the embedded default cannot load,
and two engines would rank differently. So both databases run the same portable query:
every article keeps `search_text`, its title, body and steps normalised (Unicode NFKC,
case-folded, whitespace collapsed); a query is normalised the same way and cut into terms:
Latin/digit words as they are, and each run of CJK characters into overlapping character
bigrams ("压缩机过热" -> 压缩, 缩机, 机过, 过热), the standard way to index Chinese without a
dictionary. An article's score is the number of terms found with LIKE '%term%' (escaped),
title hits counting double. That is a scan of the articles table: fine for thousands of
articles; past that, a trigram index (pg_trgm) or an FTS table can take over behind the same
function.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.assets.models import EquipmentModel
from app.auth.models import Role, User
from app.db import utcnow
from app.errors import N_, NotFound, Unprocessable
from app.maintenance.models import (
    ArticleCode,
    ArticleModel,
    ArticleRating,
    ArticleSolution,
    KnowledgeArticle,
)
from app.maintenance.service.plans import require_planner
from app.workorders.models import WorkOrder

MAX_TERMS = 24
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
    "is", "it", "its", "of", "on", "or", "the", "this", "to", "was", "were", "with", "not",
    "no", "our", "we", "since", "der", "die", "das", "und", "ist", "nicht"))


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def search_terms(text: str) -> list[str]:
    """Words (Latin, digits) and CJK bigrams of a text, in order, without repeats."""
    terms: list[str] = []
    for run in _TOKEN.findall(normalise(text)):
        if re.match(rf"[{_CJK}]", run):
            grams = [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        elif len(run) < 2 or run in _STOP_WORDS:
            continue
        else:
            grams = [run]
        for gram in grams:
            if gram not in terms:
                terms.append(gram)
    return terms[:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _hits(column: Any, terms: list[str]) -> ColumnElement[int]:
    if not terms:
        return literal(0, Integer)
    total: ColumnElement[int] = literal(0, Integer)
    for term in terms:
        total = total + case((column.like(_like(term), escape="\\"), 1), else_=0)
    return total


def _indexed_text(title: str, body: str, steps: list[str]) -> str:
    return normalise(" ".join([title, body, *steps]))


def _check_links(session: Session, model_ids: list[int]) -> None:
    if model_ids and len(session.scalars(select(EquipmentModel.id).where(
            EquipmentModel.id.in_(model_ids))).all()) != len(set(model_ids)):
        raise Unprocessable(N_("Unknown equipment model."),
                            errors={"equipment_model_ids": ["Unknown."]})


def create_article(session: Session, *, title: str, body: str, steps: list[str] | None = None,
                   images: list[dict[str, Any]] | None = None,
                   equipment_model_ids: list[int] | None = None,
                   codes: list[str] | None = None, actor: User) -> KnowledgeArticle:
    """Admins and dispatchers write articles linked to models and failure codes."""
    require_planner(actor, "write knowledge articles")
    model_ids, codes = sorted(set(equipment_model_ids or [])), sorted(set(codes or []))
    _check_links(session, model_ids)
    article = KnowledgeArticle(
        title=title, body=body, steps=list(steps or []), images=list(images or []),
        search_text=_indexed_text(title, body, list(steps or [])), created_by_id=actor.id,
        models=[ArticleModel(equipment_model_id=m) for m in model_ids],
        code_links=[ArticleCode(code=c) for c in codes])
    session.add(article)
    session.flush()  # flush: the id for the response
    return article


def update_article(session: Session, article: KnowledgeArticle, changes: dict[str, Any], *,
                   actor: User) -> KnowledgeArticle:
    require_planner(actor, "edit knowledge articles")
    if "equipment_model_ids" in changes:
        model_ids = sorted(set(changes.pop("equipment_model_ids") or []))
        _check_links(session, model_ids)
        article.models = [ArticleModel(equipment_model_id=m) for m in model_ids]
    if "codes" in changes:
        article.code_links = [ArticleCode(code=c) for c in sorted(set(changes.pop("codes")
                                                                      or []))]
    for field, value in changes.items():
        setattr(article, field, value)
    article.search_text = _indexed_text(article.title, article.body, article.steps)
    session.flush()  # flush: updated_at for the response
    return article


def get_article(session: Session, article_id: int, *, actor: User) -> KnowledgeArticle:
    article = session.get(KnowledgeArticle, article_id)
    if article is None or actor.role == Role.customer:
        raise NotFound(N_("No such article."))
    return article


@dataclass
class ArticleHit:
    article: KnowledgeArticle
    score: int
    useful: int
    not_useful: int
    solved: int

    def __getattr__(self, name: str) -> Any:
        return getattr(self.article, name)


def _scored(session: Session, score: ColumnElement[int], *, limit: int,
            min_score: int = 1) -> list[ArticleHit]:
    useful = select(func.count()).where(ArticleRating.article_id == KnowledgeArticle.id,
                                        ArticleRating.useful.is_(True)).scalar_subquery()
    useless = select(func.count()).where(ArticleRating.article_id == KnowledgeArticle.id,
                                         ArticleRating.useful.is_(False)).scalar_subquery()
    solved = select(func.count()).where(
        ArticleSolution.article_id == KnowledgeArticle.id).scalar_subquery()
    ranked = (select(KnowledgeArticle, score.label("score"), useful.label("useful"),
                     useless.label("useless"), solved.label("solved"))
              .options(selectinload(KnowledgeArticle.models),
                       selectinload(KnowledgeArticle.code_links))
              .where(score >= min_score)
              .order_by(score.desc(), solved.desc(), (useful - useless).desc(),
                        KnowledgeArticle.id)
              .limit(limit))
    return [ArticleHit(a, int(s), int(u), int(n), int(d))
            for a, s, u, n, d in session.execute(ranked)]


def article_with_counts(session: Session, article: KnowledgeArticle) -> ArticleHit:
    """The article with its usefulness votes and how often it solved a job."""
    useful = session.scalar(select(func.count()).where(ArticleRating.article_id == article.id,
                                                       ArticleRating.useful.is_(True))) or 0
    useless = session.scalar(select(func.count()).where(
        ArticleRating.article_id == article.id, ArticleRating.useful.is_(False))) or 0
    solved = session.scalar(select(func.count()).where(
        ArticleSolution.article_id == article.id)) or 0
    return ArticleHit(article, 0, useful, useless, solved)


def search_articles(session: Session, *, q: str | None = None,
                    equipment_model_id: int | None = None, code: str | None = None,
                    limit: int = 20, actor: User) -> list[ArticleHit]:
    """Articles matching words (English, Chinese, ...), a model and/or a failure code, best
    first: more matching terms, then more often solved with, then rated more useful."""
    if actor.role == Role.customer:
        raise NotFound(N_("The knowledge base is for staff."))
    terms = search_terms(q or "")
    if q and not terms:
        return []
    score: ColumnElement[int] = (_hits(KnowledgeArticle.search_text, terms)
                                 + _hits(func.lower(KnowledgeArticle.title), terms))
    if not terms:
        score = score + 1  # no words: every article of the model / code is a match
    filters = []
    if equipment_model_id is not None:
        filters.append(KnowledgeArticle.id.in_(select(ArticleModel.article_id).where(
            ArticleModel.equipment_model_id == equipment_model_id)))
    if code is not None:
        filters.append(KnowledgeArticle.id.in_(select(ArticleCode.article_id).where(
            ArticleCode.code == code)))
    if filters:
        score = case((and_(*filters), score), else_=0)
    return _scored(session, score, limit=limit)


def suggest_articles(session: Session, work_order: WorkOrder, *, limit: int = 5
                     ) -> list[ArticleHit]:
    """Articles for a job: its equipment model (3 points), its failure codes (2 each) and the
    words of its title and fault description (1 per term found)."""
    model_id = work_order.asset.equipment_model_id if work_order.asset is not None else None
    codes = [c for c in (work_order.failure_code, work_order.cause_code,
                         work_order.remedy_code) if c]
    terms = search_terms(f"{work_order.title} {work_order.description}")
    score: ColumnElement[int] = _hits(KnowledgeArticle.search_text, terms)
    if model_id is not None:
        score = score + case((KnowledgeArticle.id.in_(select(ArticleModel.article_id).where(
            ArticleModel.equipment_model_id == model_id)), 3), else_=0)
    if codes:
        score = score + 2 * select(func.count()).where(
            ArticleCode.article_id == KnowledgeArticle.id,
            ArticleCode.code.in_(codes)).scalar_subquery()
    return _scored(session, score, limit=limit, min_score=2)


def rate_article(session: Session, article: KnowledgeArticle, *, useful: bool,
                 actor: User) -> ArticleRating:
    """Technicians (and office staff) say whether an article helped; once each, changeable."""
    if actor.role not in (Role.technician, Role.admin, Role.dispatcher):
        raise NotFound(N_("No such article."))
    rating = session.get(ArticleRating, (article.id, actor.id))
    if rating is None:
        rating = ArticleRating(article_id=article.id, user_id=actor.id, useful=useful)
        session.add(rating)
    rating.useful, rating.rated_at = useful, utcnow()
    session.flush()  # flush: the row for the response
    return rating


def record_solution(session: Session, article: KnowledgeArticle, work_order: WorkOrder, *,
                    actor: User) -> ArticleSolution:
    """"Solved with this article" on a job (the caller checked the actor may act on it);
    saying it twice keeps one record."""
    solution = session.get(ArticleSolution, (article.id, work_order.id))
    if solution is None:
        solution = ArticleSolution(article_id=article.id, work_order_id=work_order.id,
                                   user_id=actor.id)
        session.add(solution)
        session.flush()  # flush: the row for the response
    return solution
