"""Property-based test of the whole OpenAPI document with schemathesis: bounded,
deterministic examples per operation; no server error, and every response conforms to the
document (status code, content type, headers, body schema)."""

from __future__ import annotations

import copy

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from geoservice.api.app import create_app
from geoservice.catalog import LAYER_IDS
from geoservice.settings import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]



def _document() -> dict:
    """The app's OpenAPI document (building it loads no store), with the collection ids of
    this instance as the collectionId values, so that examples reach real collections
    instead of mostly 404s."""
    document = copy.deepcopy(create_app(Settings(tiles_url=None)).openapi())
    for path in document["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "collectionId":
                    parameter["schema"] = {"type": "string", "enum": list(LAYER_IDS)}
    return document


# Requests go to the real server on 127.0.0.1 (Toulouse store, BAN stand-in).
schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(max_examples=30, derandomize=True, deadline=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case, live_server):
    case.call_and_validate(base_url=live_server.url, checks=CHECKS)


@pytest.fixture(scope="module", params=["sqlite"])
def writer_site(request, mirror, tmp_path_factory, ban):
    """A writable site of its own (its writes touch no other test), geocoding through the
    BAN stand-in, called with an administrator's token: every write, moderation and
    import route runs past its permission check."""
    from tests.editing_site import site_on

    made = site_on(request, mirror, tmp_path_factory, "schemathesis",
                   GEOSERVICE_BAN_URL=ban.url)
    yield made
    made.stop()


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_with_credentials(case, writer_site):
    case.call_and_validate(base_url=writer_site.url, headers=writer_site.auth("admin"),
                           checks=CHECKS)
