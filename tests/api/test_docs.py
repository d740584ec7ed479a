"""Swagger UI works without internet: the page names no other host and its assets come from this server."""
from __future__ import annotations

import re

ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "javascript",
          "swagger-ui-standalone-preset.js": "javascript"}


def test_the_docs_page_references_no_other_host(client):
    r = client.get("/api/docs")  # no token: the docs are public
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert not re.search(r"(https?:)?//[a-z0-9.-]+", page, re.IGNORECASE), "the page loads something from another host"
    assert '"validatorUrl": null' in page  # Swagger UI would otherwise fetch a badge from validator.swagger.io
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(ref.rsplit("/", 1)[-1] for ref in references) == sorted(ASSETS)
    assert all(ref.startswith("/api/docs/assets/") for ref in references)


def test_the_assets_are_served_from_the_package(client):
    page = client.get("/api/docs").get_data(as_text=True)
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page):
        r = client.get(ref)
        assert r.status_code == 200, ref
        assert ASSETS[ref.rsplit("/", 1)[-1]] in r.content_type
        assert len(r.data) > 10_000  # the real file, not an error page
        assert r.cache_control.max_age and r.cache_control.max_age > 0
    assert b"SwaggerUIBundle" in client.get("/api/docs/assets/swagger-ui-bundle.js").data


def test_only_the_package_files_are_served(client):
    assert client.get("/api/docs/assets/../../__init__.py").status_code == 404
    assert client.get("/api/docs/assets/missing.js").status_code == 404
