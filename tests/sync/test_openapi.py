"""The API answers as its own OpenAPI document says, for whatever schemathesis sends (signed the
way kiosks sign, against gunicorn): never a 500, statuses, content types and bodies as documented."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator

from portal.blueprints.sync.openapi import document
from tests.sync.conftest import CentralServer, register, signature_auth

schema = schemathesis.openapi.from_dict(document())
# The signature is made by the requests auth on every call, so the checks that strip or garble the
# documented ``Signature`` header cannot do so here; unsigned and forged requests have tests of
# their own (test_signatures.py). A schema-valid token, key or ID number is not a real one, so a
# documented 422 for it is right, not a "valid request rejected".
EXCLUDED = [schemathesis.checks.ignored_auth, schemathesis.checks.missing_required_header,
            schemathesis.checks.negative_data_rejection, schemathesis.checks.positive_data_acceptance]


def test_the_document_is_openapi_3_1_with_a_schema_for_every_envelope_kind(client):
    from portal.domain.sync import EnvelopeKind

    served = client.get("/api/sync/v1/openapi.json").get_json()
    assert served["openapi"] == "3.1.0"
    names = set(served["components"]["schemas"])
    for kind in EnvelopeKind:
        assert any(name.lower().startswith(kind.value.replace(".", "").replace("_", "")) for name in names), kind
    for body in served["components"]["schemas"].values():
        Draft202012Validator.check_schema(body)
    assert {"cursor_expired", "clock_skew", "kiosk_revoked"} <= set(
        served["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])


@pytest.fixture(scope="module")
def server(app):
    running = CentralServer(app).start()
    yield running
    running.stop()


@pytest.fixture
def signed_session(server, federation):
    kiosk, key = register()
    session = requests.Session()
    session.auth = signature_auth(kiosk.id, key)
    return session


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_document(case, server, signed_session):
    case.call_and_validate(base_url=server.url + "/api/sync/v1", session=signed_session, timeout=30,
                           excluded_checks=EXCLUDED)
