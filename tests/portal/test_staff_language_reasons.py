"""The staff language report on the demo: each suggestion says why, in the librarian's language."""

from __future__ import annotations

from tests import staff_signin


def _signed_in(demo_app):
    client = demo_app.test_client()
    staff_signin.sign_in_client(client)
    return client


def test_each_suggestion_carries_its_reason(demo_app):
    client = _signed_in(demo_app)
    data = client.get("/staff/languages.json").get_json()
    smi = next(s for s in data["suggestions"] if s["identifier"].endswith("kau-ill-smi-001"))
    assert smi["reason"] == "smi"
    assert all(s["reason"] in {"missing", "und", "mul", "smi", "contradicted"} for s in data["suggestions"])
    assert all(row["code"] != "(none)" for row in data["by_language"])
    html = client.get("/staff/languages?lang=nn").get_data(as_text=True)
    assert "<th scope=\"col\">Kvifor</th>" in html
    assert "Berre samlekoden smi (samiske språk)." in html
    assert "(none)" not in html
