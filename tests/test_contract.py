"""Contract test: schemathesis generates requests for every operation in the app's own OpenAPI
document and fails on any 5xx or any response that breaks the documented schema. Endpoints
added later are covered automatically. Each operation runs as a user of a role it allows
(read from the `x-roles` the permission decorator documents)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.pytest.from_fixture("api_schema")
if only := os.environ.get("CONTRACT_PATHS"):  # e.g. CONTRACT_PATHS=meter-readings, to debug
    schema = schema.include(path_regex=only)

# The checks every single request must pass: no 5xx; status, headers (X-Pagination as the
# documented JSON string), content type and body as documented. (negative_data_rejection still
# finds two documented leniencies: decimal fields take JSON numbers besides strings, and unknown
# query arguments are ignored; `make fuzz` reports them.)
CHECKS = [not_a_server_error, status_code_conformance, response_headers_conformance,
          content_type_conformance, response_schema_conformance]

# Preferred identity per operation: the most privileged role it allows.
ROLE_PREFERENCE = ("admin", "dispatcher", "warehouse", "technician", "customer")


@pytest.fixture
def api_schema(app: Any, db_session: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.fixture
def tokens(login: Any) -> dict[str, str]:
    return {role: login(role).token for role in ROLE_PREFERENCE}


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_without_5xx_and_as_documented(case: Any,
                                                               tokens: dict[str, str]) -> None:
    roles = case.operation.definition.raw.get("x-roles") or []
    role = next((r for r in ROLE_PREFERENCE if r in roles), None)
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)


def test_stateful_links_answer_without_5xx_and_as_documented(app: Any, db_session: Any,
                                                             tokens: dict[str, str]) -> None:
    """Sequences that follow the links schemathesis infers from the document (an id created by
    one call used in the next), as the admin; a short budget keeps the suite fast (the long
    run is `make fuzz`)."""
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", app)
    if only:
        loaded = loaded.include(path_regex=only)
    machine = loaded.as_state_machine()
    headers = {"Authorization": f"Bearer {tokens['admin']}"}

    class AsAdmin(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    AsAdmin.run(settings=settings(max_examples=int(os.environ.get("CONTRACT_STATEFUL", 12)),
                                  stateful_step_count=6, deadline=None, derandomize=True,
                                  suppress_health_check=list(HealthCheck)))
