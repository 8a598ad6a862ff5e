"""The change feed after a transform with a changed and a deleted record; 410 Gone; VoID and dumps."""

from __future__ import annotations

import gzip
import json

from rdflib import Graph, Literal, Namespace, URIRef

from tests.linked_data.conftest import Server, build, make_settings

BASE = "http://data.grenselos.test"
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")


def all_activities(web) -> list[dict]:
    feed = json.loads(web.get("/changes").data)
    assert feed["type"] == "OrderedCollection"
    out, url = [], feed["first"]["id"]
    while url:
        page = json.loads(web.get(url.replace(BASE, "")).data)
        assert page["type"] == "OrderedCollectionPage"
        out += page["orderedItems"]
        url = page.get("next")
    assert len(out) == feed["totalItems"]
    return out


def test_change_feed_gone_and_dumps(tmp_path, shared_data, db_url):
    from harvest.store import IncomingRecord
    from transform.dumps import write_dumps
    from transform.pipeline import run_transform
    settings = make_settings(tmp_path / "data", db_url)
    store = build(settings, shared_data)
    try:
        with Server(settings) as srv:
            web = srv.app.test_client()
            first = all_activities(web)
            assert {a["type"] for a in first} == {"Create"} and len(first) == 2 * 112   # instances + works

            rows = {r.identifier: r for r in store.iter_records("kautokeino")}
            changed = rows["oai:kautokeino:kau-ill-sme-001"]
            store.upsert("kautokeino", [IncomingRecord(identifier=changed.identifier, control_number=changed.control_number,
                                                       marcxml=changed.marcxml.replace("Čáhppes beana", "Čáhppes beatnagat"))])
            store.mark_deleted("kautokeino", ["oai:kautokeino:kau-ill-sme-002"])
            run_transform(settings, store, progress=False)

            after = all_activities(web)
            new = after[len(first):]
            assert after[:len(first)] == first                         # history never changes: newest last
            seqs = [int(a["id"].rsplit("/", 1)[1]) for a in after]
            assert seqs == sorted(seqs)
            by_object = {(a["type"], a["object"]["id"]) for a in new}
            assert ("Update", f"{BASE}/instance/kautokeino-kau-ill-sme-001") in by_object
            assert ("Delete", f"{BASE}/instance/kautokeino-kau-ill-sme-002") in by_object
            assert ("Delete", f"{BASE}/work/kautokeino-kau-ill-sme-002") in by_object
            assert not any("tromso" in a["object"]["id"] for a in new)

            assert web.get("/instance/kautokeino-kau-ill-sme-002", headers={"Accept": "text/turtle"}).status_code == 410
            assert web.get("/instance/kautokeino-kau-ill-sme-002").status_code == 410
            assert web.get("/work/kautokeino-kau-ill-sme-002.ttl").status_code == 410
            updated = web.get("/instance/kautokeino-kau-ill-sme-001.nt")
            assert "Čáhppes beatnagat".encode() in updated.data

            written = {d.subset: d for d in write_dumps(settings)}
            assert set(written) == {"all", "tromso", "nb", "kautokeino"}
            dump = web.get("/dumps/all.nt.gz")
            assert dump.status_code == 200 and dump.headers["Content-Type"] == "application/gzip"
            graph = Graph().parse(data=gzip.decompress(dump.data), format="nt")
            assert (URIRef(f"{BASE}/instance/kautokeino-kau-ill-sme-001"), None, None) in graph
            assert (URIRef(f"{BASE}/instance/kautokeino-kau-ill-sme-002"), None, None) not in graph
            lines = gzip.decompress(dump.data).count(b"\n")
            assert lines == written["all"].triples
            assert sum(written[s].triples for s in ("tromso", "nb", "kautokeino")) < written["all"].triples
            assert web.get("/dumps/../manifest.json").status_code == 404

            void = Graph().parse(data=web.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
                                 format="turtle")
            dataset = URIRef(f"{BASE}/dataset")
            assert (dataset, VOID.sparqlEndpoint, URIRef(f"{BASE}/sparql")) in void
            assert (dataset, VOID.dataDump, URIRef(f"{BASE}/dumps/all.nt.gz")) in void
            assert (dataset, VOID.uriSpace, Literal(f"{BASE}/")) in void
            assert int(void.value(dataset, VOID.triples)) > 0
            assert void.value(dataset, URIRef("http://purl.org/dc/terms/license")) is not None
            assert len(list(void.objects(dataset, VOID.subset))) == 5    # three sources, the statistics cube, the lists
            jsonld = web.get("/.well-known/void", headers={"Accept": "application/ld+json"})
            assert jsonld.headers["Content-Type"].startswith("application/ld+json")
            assert len(Graph().parse(data=jsonld.data, format="json-ld")) == len(void)
    finally:
        store.close()
