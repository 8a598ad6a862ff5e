"""The language vocabulary is served as SKOS under base_uri, with the Sami group and Kven distinct."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS


@pytest.fixture
def client(tmp_path):
    from core import settings
    from portal.app import create_app
    s = settings.from_dict({"data_dir": str(tmp_path), "base_uri": "https://data.grenselos.test"})
    return create_app(s, {"TESTING": True, "SECRET_KEY": "v" * 40}).test_client()


def test_scheme_in_turtle_and_jsonld_with_sami_languages(client):
    response = client.get("/vocab/languages")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    g = Graph().parse(data=response.data, format="turtle")
    sme = URIRef("https://data.grenselos.test/vocab/languages/sme")
    fkv = URIRef("https://data.grenselos.test/vocab/languages/fkv")
    assert (sme, SKOS.prefLabel, Literal("davvisámegiella", lang="se")) in g or \
        any(o.language == "se" for o in g.objects(sme, SKOS.prefLabel))
    assert (fkv, None, None) in g and fkv != URIRef("https://data.grenselos.test/vocab/languages/kve")
    jsonld = client.get("/vocab/languages", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json" and len(Graph().parse(data=jsonld.data, format="json-ld")) == len(g)


def test_one_language_dereferences_and_unknown_is_404(client):
    response = client.get("/vocab/languages/smj.nt")
    g = Graph().parse(data=response.data, format="nt")
    labels = {str(o) for o in g.objects(URIRef("https://data.grenselos.test/vocab/languages/smj"), SKOS.prefLabel)}
    assert response.status_code == 200 and len(labels) >= 3
    assert client.get("/vocab/languages/xx-nope").status_code == 404
