"""Search documents for the index and search benchmarks, derived from real Library of Congress records.

`BooksAll.2016.part01.utf8` (250,000 records, public domain) from the pymarc 5.4.0 sdist is read once
with pymarc, converted to BIBFRAME by the mapping tables and projected into documents
(`index.projection`) as the index stage does, and cached as JSON lines in bench/.cache/;
`index.synthetic.derive` then makes works with editions held across the county's libraries, up to 1M.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.lc_data import CACHE, ensure_data  # noqa: E402

from core.settings import Source  # noqa: E402
from index.document import Document  # noqa: E402


def base_documents(limit: int) -> list[Document]:
    """The first `limit` LC records as documents (cached)."""
    cache = CACHE / f"docs-lc-description-{limit}.jsonl"
    if cache.exists():
        with cache.open(encoding="utf-8") as f:
            return [Document.from_json(line) for line in f]
    import hashlib
    import pymarc
    from index.holdings import holdings_of
    from index.projection import default
    from transform.cluster_keys import keys_for
    from transform.convert import ConvertContext, Converter
    source = Source(id="loc", name="Library of Congress", municipality="Tromsø")
    converter, projection = Converter("http://bench.example"), default()
    docs = []
    with ensure_data().open("rb") as f:
        reader = pymarc.MARCReader(f, to_unicode=True, force_utf8=True, utf8_handling="replace")
        for n, record in enumerate(reader):
            if record is None:
                continue
            try:
                key = keys_for(record).title_author_key or f"loc-{n}"   # the title+author key clusters editions
                work = "w" + hashlib.sha1(key.encode()).hexdigest()[:16]
                triples = converter.convert(record, ConvertContext(source.id, str(n))).triples
                docs.append(projection.document(triples, id=f"loc-{n}", work_id=work, source=source.id,
                                                holdings=holdings_of(record, source)))
            except Exception as exc:  # noqa: BLE001 - a bad record is reported, never fatal
                print(f"bench: LC record {n} skipped: {exc}", file=sys.stderr)
            if len(docs) >= limit:
                break
    tmp = cache.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(d.to_json() + "\n")
    tmp.rename(cache)
    return docs


def documents(count: int, base: int) -> Iterator[Document]:
    from index.synthetic import derive
    yield from derive(base_documents(min(base, count)), count, seed=1)
