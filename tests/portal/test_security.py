"""Untrusted MARC never runs, forms carry CSRF tokens, headers forbid inline code and framing."""

from __future__ import annotations

import re

import pytest

from tests.portal import sample


def test_marc_markup_renders_as_text(client):
    for url in ("/record/tromso:666", "/search?q=farlig", "/work/w-hostile", "/saved"):
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
    assert client.post("/saved/add", data={"record": "tromso:1001"}).status_code == 400
    rejected = client.post("/saved/add", data={"record": "tromso:1001", "csrf_token": "forged"})
    assert rejected.status_code == 400 and "Skjemaet er utløpt" in rejected.get_data(as_text=True)
    assert client.get("/saved.json").get_json()["items"] == []
    page = client.get("/record/tromso:1001").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    saved = client.post("/saved/add", data={"record": "tromso:1001", "csrf_token": token, "next": "//evil.example"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/saved"
    assert client.get("/saved.json").get_json()["items"] == [
        {"id": "tromso:1001", "title": "Fiskaren og havet", "found": True, "languages": ["nob"]}]


def _token(client, path="/record/tromso:1001"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example", "\\/evil.example",
    "//evil.example", "https://evil.example/", "/\x00/evil.example", " //evil.example", "/%0A", "/no/such/page",
    "javascript:alert(1)", "/saved\nSet-Cookie: x=1", "/" + "a" * 3000,
])
def test_next_never_leaves_the_portal_nor_breaks_it(client, target):
    """Replays `/lists/add` with `next=/<TAB>/evil.example` (it answered `Location: //evil.example`)."""
    response = client.post("/saved/add", data={"record": "tromso:1001", "csrf_token": _token(client), "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/saved"


def test_next_may_name_any_page_of_the_portal(client):
    for target in ("/record/tromso:1001", "/search?q=fisk&page=2", "/saved", "/"):
        response = client.post("/saved/add", data={"record": "tromso:1001", "csrf_token": _token(client),
                                                   "next": target})
        assert response.headers["Location"] == target


def test_reading_list_takes_only_real_records_and_stays_small(demo_client):
    """Replays ~14 long fake ids, which pushed the session cookie past 4 KB (browsers drop it silently)."""
    ids = [h["id"] for h in demo_client.get("/api/search?page_size=100").get_json()["hits"]]
    token = _token(demo_client, f"/record/{ids[0]}")
    for n in range(14):
        fake = demo_client.post("/saved/add", data={"record": f"tromso-{n}-" + "x" * 280, "csrf_token": token})
        assert fake.status_code == 400
    assert len(ids) > 60
    for record_id in ids[:60]:
        assert demo_client.post("/saved/add", data={"record": record_id, "csrf_token": token}).status_code == 303
    saved = [item["id"] for item in demo_client.get("/saved.json").get_json()["items"]]
    assert 0 < len(saved) <= 50 and saved[-1] == ids[59] and set(saved) <= set(ids)
    assert len(demo_client.get_cookie("session").value) < 3000


def test_session_cookie_is_secure_over_https_and_when_configured(client, settings, record_store):
    def session_cookie(response):
        return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))

    plain = client.post("/saved/add", data={"record": "tromso:1001", "csrf_token": _token(client)})
    assert "Secure" not in session_cookie(plain)
    tls = client.get("/record/tromso:1001?lang=en", base_url="https://localhost")   # as behind X-Forwarded-Proto
    assert all("Secure" in c for c in tls.headers.getlist("Set-Cookie"))
    assert any(c.startswith("lang=") for c in tls.headers.getlist("Set-Cookie"))
    secure = _app(settings, portal={"secure_cookies": True}).test_client()
    response = secure.get("/record/tromso:1001?lang=se")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in c for c in cookies) and any(c.startswith("session=") for c in cookies)


def _app(settings, **sections):
    from dataclasses import replace
    from core.settings import PortalSettings
    from portal.app import create_app
    changed = replace(settings, portal=PortalSettings(**sections.get("portal", {})))
    return create_app(changed, {"TESTING": True, "SECRET_KEY": "secure-cookie-test-" + "0123456789" * 3})


def test_cors_only_on_public_data_never_on_private_json(demo_app):
    from tests.staff_signin import sign_in_client
    client = demo_app.test_client()
    for url in ("/api/search", "/search.json", "/changes", "/oai?verb=Identify", "/context.jsonld",
                "/.well-known/void", "/vocab/languages", "/api/record/nope"):
        assert client.get(url).headers.get("Access-Control-Allow-Origin") == "*", url
    for url in ("/", "/search", "/libraries"):
        assert "Access-Control-Allow-Origin" not in client.get(url).headers, url
    sign_in_client(client)
    for url in ("/staff/languages.json", "/staff.json", "/saved.json", "/staff/login"):
        response = client.get(url)
        assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers, url


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_before_any_csrf_check(client, method):
    """PUT/DELETE on GET routes answered `400 csrf`; the method is wrong whatever the token."""
    for url in ("/search", "/api/search", "/saved", "/staff/languages.json", "/record/tromso:1001"):
        response = client.open(url, method=method)
        assert response.status_code == 405 and "GET" in response.headers["Allow"], (method, url)
    assert set(client.open("/saved/add", method=method).headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert client.post("/no/such/page").status_code == 404


def test_server_header_names_no_versions(app):
    import urllib.request
    from portal.serve import PortalServer
    with PortalServer(app) as server:
        with urllib.request.urlopen(server.url + "/libraries", timeout=30) as response:
            assert response.headers["Server"] == "Grenselos"
            assert len(response.headers.get_all("Server")) == 1


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


@pytest.mark.parametrize("weak", ["a", "short-key", "a" * 64, "abababababababababababababababab"])
def test_weak_secret_keys_are_refused_at_start(settings, monkeypatch, weak):
    from core.errors import ConfigError
    from portal.app import create_app
    monkeypatch.setenv("GRENSELOS_SECRET_KEY", weak)
    with pytest.raises(ConfigError, match="GRENSELOS_SECRET_KEY is too weak"):
        create_app(settings)
    monkeypatch.delenv("GRENSELOS_SECRET_KEY")
    key_file = settings.data_dir / "portal-secret-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(weak + "\n")
    key_file.chmod(0o600)
    with pytest.raises(ConfigError, match="portal-secret-key is too weak"):
        create_app(settings)
    assert key_file.read_text() == weak + "\n"                # an operator's file is judged, never replaced


def test_a_key_file_others_can_read_is_named_in_a_warning(settings, monkeypatch, caplog):
    from portal.app import create_app
    monkeypatch.delenv("GRENSELOS_SECRET_KEY", raising=False)
    create_app(settings)
    key_file = settings.data_dir / "portal-secret-key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600" and not caplog.records
    key_file.chmod(0o644)
    create_app(settings)
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert str(key_file) in warning.getMessage() and "chmod 600" in warning.getMessage()


def test_a_newline_in_a_logged_path_cannot_forge_a_log_line(settings, record_store, caplog):
    """Replays a path with %0A: the unexpected-error log line carried the visitor's newline."""
    import logging
    from portal.app import create_app

    class Broken:
        def record(self, record_id):
            raise RuntimeError("boom")

    client = create_app(settings, {"SEARCH_SERVICE": Broken(), "SECRET_KEY": "log-test-" + "0123456789" * 3}) \
        .test_client()
    forged = "/record/x%0D127.0.0.1 - - [01/Jan/2026] \"GET /staff HTTP/1.1\" 200 -%1B[2K%00"
    assert client.get(forged).status_code == 500
    [record] = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    line = logging.Formatter("%(message)s").format(record).splitlines()[0]
    assert not re.search(r"[\x00-\x1f]", record.getMessage())
    assert line.startswith("unhandled error on GET /record/x\\r127.0.0.1") and line.endswith("\\x1b[2K\\x00")
    logging.getLogger("portal.anything").warning("asked for %s", "x\nforged line")   # any logger, any value
    assert caplog.records[-1].getMessage() == "asked for x\\nforged line"


def test_log_escape_makes_every_control_character_visible():
    from portal.log_escape import escape
    assert escape("a\nb\rc\td\x00e\x1bf\x7fg\u2028h\u0085i") == "a\\nb\\rc\\td\\x00e\\x1bf\\x7fg\\u2028h\\x85i"
    assert escape("plain æøå čđŋšŧž") == "plain æøå čđŋšŧž"


def test_the_host_header_never_reaches_cached_absolute_urls(demo_client):
    """A forged Host reached Atom `self` links and entry ids, served publicly for 15 minutes."""
    for url in ("/language/sme/feed.atom", "/library/NO-1990002/feed.atom", "/changes", "/changes/0",
                "/.well-known/void", "/oai?verb=Identify"):
        response = demo_client.get(url, headers={"Host": "evil.example"})
        assert response.status_code == 200 and b"evil.example" not in response.get_data(), url
    feed = demo_client.get("/language/sme/feed.atom", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert 'rel="self" type="application/atom+xml" href="http://127.0.0.1:5000/language/sme/feed.atom"' in feed


def test_the_host_header_never_reaches_record_json_ld(demo_client):
    record_id = demo_client.get("/api/search?page_size=1").get_json()["hits"][0]["id"]
    page = demo_client.get(f"/record/{record_id}", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in page
