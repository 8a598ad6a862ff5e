"""The demo end to end: loopback OAI-PMH providers → harvest → transform → index → portal."""

from harvest.store import RecordStore


def test_demo_builds_everything_and_rerun_changes_nothing(tmp_path):
    from grenselos.demo import build, samples
    lines = []
    settings, store = build(tmp_path / "demo", "http://127.0.0.1:5999", say=lines.append)
    counts = store.status()
    for library in samples.LIBRARIES:
        assert counts[library.id]["records"] == len(samples.catalogue(library))
        assert counts[library.id]["quarantined"] == 0
    assert counts["nb"]["records"] == 7 and counts["nb"]["holdings"] == 82
    assert counts["ebok"]["records"] == len(samples.digital_records())

    from portal.app import create_app
    client = create_app(settings, {"TESTING": True}).test_client()
    hits = client.get("/api/search?q=cahppes").get_json()
    assert hits["total"] >= 1
    assert hits["hits"][0]["title"].startswith("Čáhppes beana")
    novel = client.get("/api/search?q=Nordlys+over+vidda").get_json()["hits"][0]
    assert novel["work"]["libraries"] == 3          # one work, held by all three demo libraries
    online = client.get("/api/search?q=Nordlys+over+vidda&filter=available:digital").get_json()["hits"]
    assert online and all(hit["digital"] and hit["access"] for hit in online)

    # The Northern Sami translation links to its Norwegian original, whose 245 has a subtitle its 240 lacks.
    from sqlalchemy import text
    with store.engine.connect() as conn:
        links = conn.execute(text("SELECT cluster_id, translation_of FROM clusters "
                                  "WHERE translation_of IS NOT NULL")).all()
    assert ("kautokeino-kau-ill-sme-002", "tromso-trb-ill-nob-001") in [tuple(r) for r in links]

    again = []
    build(tmp_path / "demo", "http://127.0.0.1:5999", say=again.append)
    after = RecordStore.from_settings(settings).status()
    assert {k: (v["records"], v["deleted"]) for k, v in after.items()} == \
        {k: (v["records"], v["deleted"]) for k, v in counts.items()}
    transform_lines = [line for line in again if line.strip().startswith("transform ")]
    assert len(transform_lines) == 5 and all(": 0 converted" in line for line in transform_lines)
