"""The JSON error shape is fixed; bad parameters are 400 with the parameter named."""

from __future__ import annotations

import pytest

SHAPE = {"ok", "status", "code", "title", "error"}

BAD = [
    ("/api/search?page=abc", "page"),
    ("/api/search?page=0", "page"),
    ("/api/search?page=100000", "page"),
    ("/api/search?page_size=1000", "page_size"),
    ("/api/search?sort=random", "sort"),
    ("/api/search?filter=nonsense", "filter"),
    ("/api/search?filter=shoe_size:42", "filter"),
    ("/api/search?filter=year:abc", "filter"),
    ("/api/search?filter=available:maybe", "filter"),
    ("/api/search?q=" + "x" * 501, "q"),
    ("/api/search?year_from=19x9", "year_from"),
    ("/search.json?format=xml", "format"),
]


@pytest.mark.parametrize("url,parameter", BAD)
def test_bad_parameters_are_400_with_fixed_shape(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    assert SHAPE <= set(body) and body["ok"] is False and body["status"] == 400
    assert body["code"] == "invalid_parameter" and body["parameter"] == parameter
    assert parameter in body["error"]


def test_bad_parameter_on_html_page_is_a_friendly_400(client):
    response = client.get("/search?sort=random&lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Invalid parameter sort" in html and '<html lang="en">' in html


def test_not_found_shapes(client):
    for url in ("/api/record/nope:1", "/record/nope:1.json", "/no/such/page.json"):
        response = client.get(url)
        assert response.status_code == 404 and response.get_json()["code"] == "not_found", url
        assert SHAPE <= set(response.get_json())
    html = client.get("/no/such/page")
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert "Fant ikke siden" in html.get_data(as_text=True)


def test_wrong_method_is_405_with_allow(client):
    response = client.post("/api/search")
    assert response.status_code in (400, 405)
    response = client.delete("/search", headers={"X-CSRF-Token": ""})
    assert response.status_code in (400, 405)
