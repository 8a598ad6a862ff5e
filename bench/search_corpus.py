"""Search documents for the index and search benchmarks, derived from real Library of Congress records.

`BooksAll.2016.part01.utf8` (250,000 records, public domain) from the pymarc 5.4.0 sdist is read once
by the project's MARC file reader (`bench.lc_data.lc_records`), converted to BIBFRAME by the mapping
tables and projected into documents (`index.projection`) as the index stage does, and cached as JSON
lines in bench/.cache/ (a cache written before the benchmarks used that reader, with pymarc, differs in
about 1 document of 1,250: a trailing full stop after a name; delete it to have it made again);
`index.synthetic.derive` then makes works with editions held across the county's libraries, up to 1M.

Nothing here holds the corpus: the cache is written as records are converted and read back line by
line (once per derivation cycle), so the benchmarks' memory does not grow with the number of documents.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.lc_data import CACHE, lc_records  # noqa: E402

from core.settings import Source  # noqa: E402
from index.document import Document  # noqa: E402


def cache_file(limit: int) -> Path:
    """The cache file holding at least `limit` documents (a larger one serves a smaller limit), made
    when there is none."""
    made = sorted((int(p.stem.rsplit("-", 1)[1]), p) for p in CACHE.glob("docs-lc-description-*.jsonl"))
    for size, path in made:
        if size >= limit:
            return path
    return _convert(limit)


def _convert(limit: int) -> Path:
    import hashlib
    from index.holdings import holdings_of
    from index.projection import default
    from transform.cluster_keys import keys_for
    from transform.convert import ConvertContext, Converter
    source = Source(id="loc", name="Library of Congress", municipality="Tromsø")
    converter, projection = Converter("http://bench.example"), default()
    cache = CACHE / f"docs-lc-description-{limit}.jsonl"
    tmp = cache.with_suffix(".tmp")
    made = 0
    with tmp.open("w", encoding="utf-8") as out:
        for read in lc_records():
            n, record = read.position - 1, read.record        # n counts from 0, unreadable records too
            if record is None:
                continue
            try:
                key = keys_for(record).title_author_key or f"loc-{n}"   # the title+author key clusters editions
                work = "w" + hashlib.sha1(key.encode()).hexdigest()[:16]
                triples = converter.convert(record, ConvertContext(source.id, str(n))).triples
                doc = projection.document(triples, id=f"loc-{n}", work_id=work, source=source.id,
                                          holdings=holdings_of(record, source))
            except Exception as exc:  # noqa: BLE001 - a bad record is reported, never fatal
                print(f"bench: LC record {n} skipped: {exc}", file=sys.stderr)
                continue
            out.write(doc.to_json() + "\n")
            made += 1
            if made >= limit:
                break
    if made < limit:   # the file ran out: name the cache by what it holds
        cache = CACHE / f"docs-lc-description-{made}.jsonl"
    tmp.rename(cache)
    return cache


def iter_base_documents(limit: int) -> Iterator[Document]:
    """The first `limit` LC records as documents, read from the cache one at a time."""
    with cache_file(limit).open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= limit:
                return
            yield Document.from_json(line)


def base_documents(limit: int) -> list[Document]:
    """The first `limit` LC records as documents, in a list (for the small samples queries are drawn from)."""
    return list(iter_base_documents(limit))


class _Base:
    """The base documents as an iterable that reads the cache again on every pass."""

    def __init__(self, limit: int):
        self.limit = limit

    def __iter__(self) -> Iterator[Document]:
        return iter_base_documents(self.limit)


def documents(count: int, base: int) -> Iterator[Document]:
    from index.synthetic import derive
    yield from derive(_Base(min(base, count)), count, seed=1)
