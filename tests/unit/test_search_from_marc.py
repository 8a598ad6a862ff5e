"""Search documents built from real MARC records in the shared data (index/from_marc.py)."""

from __future__ import annotations

import pymarc

from grenselos.settings import Source
from index.fields import flatten
from index.from_marc import document_from_marc, fallback_work_id
from index.query import Filter, Query
from index.tantivy_backend import TantivyBackend

SOURCE = Source(id="tromso", name="Tromsø", municipality="Tromsø", kind="public", holdings="koha-952")


def melinda_sami(shared_data):
    records = pymarc.parse_xml_to_array(str(shared_data / "natlibfi-marc-record-serializers/marcxml/2RecordsFrom1"))
    return next(r for r in records if r["001"].data == "000000020")


def test_sami_record_fields(shared_data):
    record = melinda_sami(shared_data)
    doc = document_from_marc(record, SOURCE, "melinda:20", fallback_work_id(record))
    assert (doc.title, doc.subtitle) == ("Eight seasons", "Gavcci jahkejuogu")
    assert "Boine, Mari" in doc.contributors
    assert "smi" in doc.languages and doc.formats == ("music",) and doc.year == 2001
    assert "saamelaiset" in doc.subjects["yso/fin"]
    assert "smi" in flatten(doc)["language"]


def test_sami_record_is_found_by_its_sami_words(shared_data, tmp_path):
    record = melinda_sami(shared_data)
    doc = document_from_marc(record, SOURCE, "melinda:20", fallback_work_id(record))
    backend = TantivyBackend(tmp_path / "idx", writer_heap=50_000_000, writer_threads=1)
    backend.add([doc])
    backend.commit()
    for text in ("gavcci jahkejuogu", "guovssahasaid", "boine", "eight seasons"):
        assert [h.id for h in backend.search(Query(text=text)).hits] == ["melinda:20"], text
    assert backend.search(Query(filters=(Filter("language", ("smi",)),))).total == 1
    backend.close()


def test_koha_items_give_holdings_and_availability(shared_data):
    records = pymarc.parse_xml_to_array(
        str(shared_data / "koha-misc4dev/koha_sample_biblios_with_952_items.marcxml"))
    docs = [document_from_marc(r, SOURCE, f"tromso:{n}", fallback_work_id(r)) for n, r in enumerate(records)]
    assert all(d.holdings and d.holdings[0].library == "tromso" for d in docs)
    assert sum(1 for d in docs if d.holdings[0].available) > 100
    assert all(d.holdings[0].available <= d.holdings[0].items for d in docs)
    assert {"book", "music", "video"} <= {f for d in docs for f in d.formats}


def test_norwegian_language_codes_from_041(shared_data):
    with open(shared_data / "traject/iso639-3_lang.marc", "rb") as f:
        record = next(iter(pymarc.MARCReader(f, to_unicode=True, force_utf8=True)))
    doc = document_from_marc(record, SOURCE, "t:1", fallback_work_id(record))
    assert {"nob", "nor", "eng"} <= set(doc.languages)
