"""Untrusted MARC never runs, forms carry CSRF tokens, headers forbid inline code and framing."""

from __future__ import annotations

import re

from tests.portal import sample


def test_marc_markup_renders_as_text(client):
    for url in ("/record/tromso:666", "/search?q=farlig", "/work/w-hostile", "/lists"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
    html = client.get("/record/tromso:666").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(3)" in html


def test_json_ld_block_cannot_be_closed_by_a_title(client):
    html = client.get("/record/tromso:666").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and "\\u003c/script\\u003e" in block


def test_search_query_is_escaped_everywhere(client):
    html = client.get('/search?q="><script>alert(9)</script>').get_data(as_text=True)
    assert "<script>alert(9)" not in html and "&lt;script&gt;alert(9)" in html


def test_security_headers_on_every_response(client):
    for url in ("/", "/api/search", "/nope", "/static/css/portal.css", "/search?page=0"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts_styles_or_handlers(client):
    for url in ("/", "/search?q=olsen", "/record/tromso:1001", "/libraries", "/nope"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*(src=|application/ld\+json))", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_csrf_token_required_for_state_changes(client):
    assert client.post("/lists/add", data={"record": "tromso:1001"}).status_code == 400
    rejected = client.post("/lists/add", data={"record": "tromso:1001", "csrf_token": "forged"})
    assert rejected.status_code == 400 and "Skjemaet er utløpt" in rejected.get_data(as_text=True)
    assert client.get("/lists.json").get_json()["items"] == []
    page = client.get("/record/tromso:1001").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    saved = client.post("/lists/add", data={"record": "tromso:1001", "csrf_token": token, "next": "//evil.example"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/lists"
    assert client.get("/lists.json").get_json()["items"] == [
        {"id": "tromso:1001", "title": "Fiskaren og havet", "found": True}]


def test_secret_key_comes_from_environment_or_generated_file(settings, monkeypatch):
    from portal.app import create_app
    monkeypatch.delenv("GRENSELOS_SECRET_KEY", raising=False)
    first = create_app(settings).config["SECRET_KEY"]
    key_file = settings.data_dir / "portal-secret-key"
    assert len(first) >= 64 and key_file.read_text().strip() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert create_app(settings).config["SECRET_KEY"] == first          # stable across restarts
    monkeypatch.setenv("GRENSELOS_SECRET_KEY", "from-the-environment-" + "k" * 20)
    assert create_app(settings).config["SECRET_KEY"].startswith("from-the-environment-")


def test_unexpected_error_shows_no_traceback(settings, record_store):
    from portal.app import create_app

    class Broken:
        def search(self, request):
            raise RuntimeError("secret internal detail /etc/passwd")

    client = create_app(settings, {"SEARCH_SERVICE": Broken()}).test_client()
    for url in ("/search?q=x", "/api/search?q=x"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Traceback" not in body and "secret internal detail" not in body and "RuntimeError" not in body
    assert client.get("/api/search?q=x").get_json()["code"] == "internal_error"
    assert "Noe gikk galt" in client.get("/search?q=x").get_data(as_text=True)


def test_sample_titles_are_really_hostile():
    assert "<script>" in sample.HOSTILE_TITLE
