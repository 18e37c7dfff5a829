import pytest

from tests.conftest import assert_error

NEW_USER = {"email": "New.Tech@Example.test", "full_name": "New Tech",
            "password": "long-enough-pw", "role": "technician"}


@pytest.mark.parametrize("role", ["dispatcher", "technician", "warehouse", "customer"])
def test_only_admins_manage_users(login, role):
    api = login(role)
    assert_error(api.get("/api/v1/users"), 403, "forbidden")
    assert_error(api.post("/api/v1/users", json=NEW_USER), 403, "forbidden")
    assert_error(api.patch(f"/api/v1/users/{api.user.id}", json={"full_name": "x"}), 403)


def test_anonymous_cannot_list_users(client):
    assert_error(client.get("/api/v1/users"), 401, "unauthorized")


def test_admin_creates_user_who_can_then_log_in(login, client):
    admin = login("admin")
    r = admin.post("/api/v1/users", json=NEW_USER)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["email"] == "new.tech@example.test"
    logged = client.post("/api/v1/auth/login",
                         json={"email": "new.tech@example.test", "password": "long-enough-pw"})
    assert logged.status_code == 200
    assert_error(admin.post("/api/v1/users", json={**NEW_USER, "email": "NEW.tech@example.test"}),
                 409, "email_taken")


def test_customer_users_need_an_existing_account(login, make_customer):
    admin = login("admin")
    body = {**NEW_USER, "email": "c@example.test", "role": "customer"}
    assert_error(admin.post("/api/v1/users", json=body), 422, "validation_error")
    assert_error(admin.post("/api/v1/users", json={**body, "customer_id": 987654}), 422)
    assert_error(admin.post("/api/v1/users", json={**NEW_USER, "customer_id":
                                                   make_customer().id}), 422)
    ok = admin.post("/api/v1/users", json={**body, "customer_id": make_customer().id})
    assert ok.status_code == 201


def test_admin_cannot_lock_themselves_out(login):
    admin = login("admin")
    assert_error(admin.patch(f"/api/v1/users/{admin.user.id}", json={"is_active": False}),
                 409, "self_lockout")
    assert_error(admin.patch(f"/api/v1/users/{admin.user.id}", json={"role": "dispatcher"}),
                 409, "self_lockout")


def test_user_list_filters_and_paginates(login, make_user):
    admin = login("admin")
    for _ in range(3):
        make_user("warehouse")
    r = admin.get("/api/v1/users?role=warehouse&page=1&page_size=2")
    assert r.status_code == 200
    assert len(r.get_json()) == 2
    assert all(u["role"] == "warehouse" for u in r.get_json())
    import json

    assert json.loads(r.headers["X-Pagination"])["total"] >= 3


def test_short_password_refused(login):
    assert_error(login("admin").post("/api/v1/users", json={**NEW_USER, "password": "short"}),
                 422, "validation_error")


def test_unknown_user_is_404(login):
    assert_error(login("admin").get("/api/v1/users/999999"), 404, "not_found")
