"""Failure taxonomy on completion; knowledge articles: Chinese and English search,
suggestions for a job, ratings and "solved with this article"."""

from __future__ import annotations

from typing import Any

import pytest

from app.maintenance.service import search_terms
from tests.conftest import assert_error
from tests.mobile_api.test_visits import at_site


@pytest.fixture
def taxonomy(db_session: Any, make_equipment_model: Any, planner: Any) -> Any:
    """A model with problem HP-TRIP -> causes DIRTY-COND, FAN-FAIL -> remedies."""
    from app.maintenance import service

    model = make_equipment_model()

    def add(kind: str, code: str, parent: Any = None) -> Any:
        return service.create_failure_code(
            db_session, equipment_model_id=model.id, kind=kind, code=code, label=code.title(),
            parent_id=parent.id if parent else None, actor=planner)

    trip = add("problem", "HP-TRIP")
    dirty, fan = add("cause", "DIRTY-COND", trip), add("cause", "FAN-FAIL", trip)
    add("remedy", "CLEAN-COIL", dirty)
    add("remedy", "REPLACE-FAN", fan)
    db_session.commit()
    return model


def test_search_terms_are_words_and_chinese_bigrams() -> None:
    assert search_terms("Compressor 压缩机过热, the HP-switch!") == [
        "compressor", "压缩", "缩机", "机过", "过热", "hp", "switch"]
    assert search_terms("Ｈｉｇｈ　ＰＲＥＳＳＵＲＥ") == ["high", "pressure"]  # full-width, NFKC
    assert search_terms("阀") == ["阀"]


def test_the_taxonomy_is_a_tree_per_model(login: Any, taxonomy: Any,
                                          make_equipment_model: Any) -> None:
    office = login("dispatcher")
    codes = office.get(f"/api/v1/maintenance/failure-codes?equipment_model_id={taxonomy.id}"
                       ).get_json()
    by_code = {c["code"]: c for c in codes}
    assert by_code["CLEAN-COIL"]["parent_id"] == by_code["DIRTY-COND"]["id"]
    assert by_code["DIRTY-COND"]["parent_id"] == by_code["HP-TRIP"]["id"]
    assert_error(office.post("/api/v1/maintenance/failure-codes", json={
        "equipment_model_id": taxonomy.id, "kind": "remedy", "code": "X",
        "label": "x", "parent_id": by_code["HP-TRIP"]["id"]}), 422)  # a remedy under a problem
    other = make_equipment_model()
    assert_error(office.post("/api/v1/maintenance/failure-codes", json={
        "equipment_model_id": other.id, "kind": "cause", "code": "X",
        "label": "x", "parent_id": by_code["HP-TRIP"]["id"]}), 422)  # another model's problem
    assert_error(office.post("/api/v1/maintenance/failure-codes", json={
        "equipment_model_id": taxonomy.id, "kind": "problem", "code": "HP-TRIP",
        "label": "again"}), 409, "failure_code_taken")
    assert_error(login("technician").post("/api/v1/maintenance/failure-codes", json={
        "equipment_model_id": taxonomy.id, "kind": "problem", "code": "Y", "label": "y"}), 403)


def test_corrective_work_on_a_model_with_a_taxonomy_completes_with_fitting_codes(
        db_session: Any, phone: Any, make_job: Any, make_asset: Any, taxonomy: Any) -> None:
    job = make_job(status="en_route", asset=make_asset(equipment_model=taxonomy))
    phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site())
    base = {"resolution_notes": "Cleaned the condenser.", "labour_minutes": 30}
    path = f"/mobile/v1/jobs/{job.id}/complete"

    missing = assert_error(phone.post(path, json={"completion": base}), 422,
                           "failure_codes_invalid")
    assert set(missing["errors"]["completion"]) == {"failure_code", "cause_code", "remedy_code"}
    crossed = assert_error(phone.post(path, json={"completion": {
        **base, "failure_code": "HP-TRIP", "cause_code": "DIRTY-COND",
        "remedy_code": "REPLACE-FAN"}}), 422, "failure_codes_invalid")
    assert list(crossed["errors"]["completion"]) == ["remedy_code"]
    assert_error(phone.post(path, json={"completion": {
        **base, "failure_code": "electrical", "cause_code": "DIRTY-COND",
        "remedy_code": "CLEAN-COIL"}}), 422, "failure_codes_invalid")
    done = phone.post(path, json={"completion": {
        **base, "failure_code": "HP-TRIP", "cause_code": "DIRTY-COND",
        "remedy_code": "CLEAN-COIL"}})
    assert done.status_code == 200, done.get_json()
    db_session.refresh(job)
    assert (job.failure_code, job.cause_code, job.remedy_code) == (
        "HP-TRIP", "DIRTY-COND", "CLEAN-COIL")


@pytest.fixture
def articles(db_session: Any, taxonomy: Any, planner: Any) -> dict[str, Any]:
    from app.maintenance import service

    made = {
        "coil": service.create_article(
            db_session, title="Cleaning a dirty condenser coil",
            body="High pressure trips on hot days usually mean a fouled condenser.",
            steps=["Isolate the unit", "Rinse the coil from the inside out"],
            equipment_model_ids=[taxonomy.id], codes=["HP-TRIP", "DIRTY-COND"], actor=planner),
        "zh": service.create_article(
            db_session, title="压缩机过热的排查",
            body="检查冷凝器风扇和冷凝器盘管。高压报警时先看风扇是否运转。",
            steps=["断电", "检查风扇电机"], codes=["FAN-FAIL"], actor=planner),
        "pump": service.create_article(
            db_session, title="Pump seal replacement",
            body="A leaking mechanical seal on the circulation pump.", actor=planner),
    }
    db_session.commit()
    return made


def test_search_finds_english_and_chinese_articles(login: Any, articles: Any,
                                                  taxonomy: Any) -> None:
    tech = login("technician")

    def titles(query: str) -> list[str]:
        response = tech.get(f"/api/v1/maintenance/articles?{query}")
        assert response.status_code == 200, response.get_json()
        return [a["title"] for a in response.get_json()]

    assert titles("q=condenser coil")[0] == "Cleaning a dirty condenser coil"
    assert titles("q=CONDENSER") == ["Cleaning a dirty condenser coil"]
    assert titles("q=压缩机过热") == ["压缩机过热的排查"]
    assert titles("q=冷凝器风扇") == ["压缩机过热的排查"]  # words of the body, not the title
    assert titles("q=风扇电机") == ["压缩机过热的排查"]  # and of the steps
    assert titles("q=涡轮增压") == []
    assert titles("q=100%25") == []  # a literal percent sign is not a wildcard
    assert titles(f"equipment_model_id={taxonomy.id}") == ["Cleaning a dirty condenser coil"]
    assert titles("code=FAN-FAIL") == ["压缩机过热的排查"]
    assert titles(f"q=seal&equipment_model_id={taxonomy.id}") == []
    assert_error(login("customer").get("/api/v1/maintenance/articles?q=seal"), 403)


def test_suggestions_for_a_job_by_model_codes_and_fault_words(
        login: Any, phone: Any, make_job: Any, make_asset: Any, taxonomy: Any,
        articles: Any) -> None:
    job = make_job(asset=make_asset(equipment_model=taxonomy),
                   title="Chiller trips on high pressure",
                   description="HP alarm every afternoon; condenser looks dirty.")
    suggested = phone.get(f"/mobile/v1/jobs/{job.id}/articles").get_json()
    assert [a["title"] for a in suggested] == ["Cleaning a dirty condenser coil"]
    assert suggested[0]["score"] >= 5
    zh_job = make_job(title="压缩机过热", description="高压报警, 风扇不转")
    assert [a["title"] for a in phone.get(f"/mobile/v1/jobs/{zh_job.id}/articles").get_json()
            ] == ["压缩机过热的排查"]
    office = login("dispatcher")
    assert office.get(f"/api/v1/work-orders/{job.id}/suggested-articles"
                      ).get_json() == suggested


def test_ratings_and_solved_with_are_recorded_once_per_person_and_job(
        db_session: Any, login: Any, phone: Any, tech: Any, make_job: Any, make_tech: Any,
        articles: Any) -> None:
    other = login(make_tech())
    job = make_job()
    coil = articles["coil"].id
    assert phone.put(f"/api/v1/maintenance/articles/{coil}/rating",
                     json={"useful": True}).status_code == 200
    assert phone.put(f"/api/v1/maintenance/articles/{coil}/rating",
                     json={"useful": False}).get_json()["useful"] is False  # changed, not added
    other.put(f"/api/v1/maintenance/articles/{coil}/rating", json={"useful": True})
    solved = phone.post(f"/api/v1/maintenance/articles/{coil}/solutions",
                        json={"work_order_id": job.id})
    assert solved.status_code == 201
    phone.post(f"/api/v1/maintenance/articles/{coil}/solutions", json={"work_order_id": job.id})
    assert_error(other.post(f"/api/v1/maintenance/articles/{coil}/solutions",
                            json={"work_order_id": job.id}), 404)  # not the other's job
    article = phone.get(f"/api/v1/maintenance/articles/{coil}").get_json()
    assert (article["useful"], article["not_useful"], article["solved"]) == (1, 1, 1)
    assert_error(phone.put("/api/v1/maintenance/articles/999999/rating",
                           json={"useful": True}), 404)
