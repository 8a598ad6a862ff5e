"""The embedded default: a tantivy index in data_dir/index, no server.

Facet counting: the low-cardinality facets (language, format, audience, library, ...) and the year's
decades are also indexed as `field=value` terms of one field, `facet_terms`. For a broad query they are
counted in one walk of its term dictionary restricted to the matching documents (`terms_with_prefix`
with a filter query), several times faster at a million matches than a terms aggregation per facet;
a narrower query is counted by aggregations, whose cost follows the number of matches. A query that term
statistics alone (`_estimate`) show to be broad has its facets counted in a thread of its own while the
hits are found: tantivy lets go of the GIL in both, and at a million documents each costs about 20 ms,
which two cores do at once (not while the load average says every core is busy: then it gains nothing).

Folding is done in Python (`index.text.fold`) into `<field>_fold` twins, for documents and queries
alike; stemming and lower-casing are tantivy's own analysers. Static rank (libraries holding the work,
then recency) multiplies the BM25 score through tantivy's `weight_by_field`. Hits whose scores tie are put
in the projection's order (`sort_rank`, see `index.fields.edition_order`) here, as Solr does by its sort.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from base64 import b64encode
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Iterable, Sequence

import orjson
import tantivy
from tantivy import Filter as TFilter, Occur, Query as TQuery, TextAnalyzerBuilder, Tokenizer

from index import text as textmod
from index.backend import FacetCache, SearchBackend, work_hash
from index.document import Document
from index.errors import BackendError, FatalBackendError, SearchUnavailable
from index import spelling
from index.fields import (EXACT_TITLE_BOOST, FIELDED, FIELDS, FOLD_FACTOR, FOLDED, FREE_TEXT_BOOSTS,
                          IDENTIFIER_BOOST, edition_order, filter_values, flatten, sort_key)
from index.query import (Facet, FacetValue, Filter, Hit, Query, Range, RangeFacet, Result, bucket_key,
                         cut_facet, group_hits, scored)

STEMMERS = {"stem_no": "norwegian", "stem_fi": "finnish", "stem_ru": "russian", "stem_en": "english"}
EXACT = "gl_exact"
#: Up to this many matching documents the number of works is counted exactly; up to APPROX_GROUP_COUNT
#: by HyperLogLog over the work hash; beyond, estimated from the works per edition of the hits scanned.
EXACT_GROUP_COUNT = 5_000
APPROX_GROUP_COUNT = 50_000
#: Facets counted from the one `facet_terms` field (low cardinality), and the term for a year's decade.
TERM_FACETS = ("language", "format", "audience", "library", "municipality", "library_kind", "availability",
               "genre_facet")
FACET_TERMS = "facet_terms"
DECADE = "decade"
#: From this many matching documents on, walking `facet_terms` (a fixed cost, proportional to the
#: index) beats tantivy's aggregations (a cost per matching document).
TERM_WALK_FROM = 80_000
#: Threads counting facets beside the searches that find the hits (one query needs one; more serve
#: several requests of one process at once).
FACET_THREADS = min(4, os.cpu_count() or 1)
#: The editions of a result page's works fetched in one query (see _editions); more are counted apart.
IN_PAGE = 200
#: Hits fetched beyond a page to see whether the page's last score ties with the next ones.
TIE_MARGIN = 8
#: Sort field of each order (`_order`); "scored" is BM25 × rank, its ties broken by `sort_rank`.
ORDER_FIELDS = {"rank": "sort_rank", "newest": "sort_newest", "title": "sort_title"}


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def base():
        return (TextAnalyzerBuilder(Tokenizer.simple()).filter(TFilter.remove_long(80))
                .filter(TFilter.lowercase()))
    out = {EXACT: base().build()}
    for field, language in STEMMERS.items():
        out[f"gl_{field}"] = base().filter(TFilter.stemmer(language)).build()
    return out


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for f in FIELDS:
        if f.kind == "stored":
            sb.add_bytes_field(f.name, stored=True, indexed=False)
        elif f.kind == "string":
            sb.add_text_field(f.name, stored=f.name in ("id", "work_id"), fast=f.name != "harvest_id",
                              tokenizer_name="raw", index_option="basic")
        elif f.kind == "int":
            sb.add_integer_field(f.name, indexed=True, fast=True)
        elif f.kind == "float":
            sb.add_float_field(f.name, indexed=False, fast=True)
        else:
            tokenizer = f"gl_{f.name}" if f.name in STEMMERS else EXACT
            sb.add_text_field(f.name, tokenizer_name=tokenizer)
    for name in FOLDED:
        sb.add_text_field(f"{name}_fold", tokenizer_name=EXACT)
    sb.add_integer_field("work_hash", indexed=False, fast=True)
    sb.add_text_field(FACET_TERMS, tokenizer_name="raw", index_option="basic")
    return sb.build()


class _SpareCores:
    """Whether the machine has a core free for a second thread: the load average below the number of
    cores, read at most once a second. With every core busy serving other requests, counting facets
    beside the search only adds the hand-over (5-8 % fewer requests served in `bench/portal.py`)."""

    def __init__(self):
        self.read_at, self.spare = float("-inf"), True

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.read_at >= 1.0:
            try:
                self.spare = os.getloadavg()[0] < (os.cpu_count() or 1)
            except OSError:     # no load average on this system: assume a free core
                self.spare = True
            self.read_at = now
        return self.spare


_cores_to_spare = _SpareCores()


class DecodedDocuments:
    """Documents decoded from their stored JSON, keyed by that JSON itself: a hit list's documents
    (a popular edition may carry sixty libraries' holdings) are decoded once, not per request, and an
    entry can never go stale, whatever commits happen, because a changed document has other bytes."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._entries: OrderedDict[bytes, Document] = OrderedDict()
        self._lock = threading.Lock()

    def decode(self, raw: bytes) -> Document:
        with self._lock:
            doc = self._entries.get(raw)
            if doc is not None:
                self._entries.move_to_end(raw)
                return doc
        doc = Document.from_json(raw)
        with self._lock:
            self._entries[raw] = doc
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return doc


class _Found:
    """Hits as (order key, address) and the count of matching documents."""

    def __init__(self, count: int, hits: list | None = None):
        self.count, self.hits = count, hits or []


def _order(query: Query) -> str:
    """How hits are ordered: by score (relevance with free text), by the projection's edition order
    (relevance without it), or by the newest/title sort key."""
    if query.sort == "relevance":
        return "scored" if scored(query) else "rank"
    return query.sort


class TantivyBackend(SearchBackend):
    name = "tantivy"

    def __init__(self, path: Path | str, *, writer_heap: int = 256_000_000, writer_threads: int = 0,
                 facet_cache_seconds: float = 30.0, term_walk_from: int = TERM_WALK_FROM, create: bool = True,
                 rebuild: bool = False):
        """Open the index at `path`, creating an empty one there unless `create` is False: a reader (the
        portal) leaves a directory no index run has written yet alone, rather than make an index of its own.
        `rebuild`: an index written with another field table (an older version) is emptied and made anew
        instead of refused; `grenselos index --full` passes it, since it resends everything."""
        self.path = Path(path)
        if not create and not (self.path.is_dir() and tantivy.Index.exists(str(self.path))):
            raise BackendError(f"no search index at {self.path} yet (`grenselos index` builds it)")
        self.term_walk_from = term_walk_from
        self.facet_cache = FacetCache(facet_cache_seconds)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            if not rebuild or "schema does not match" not in str(exc):
                raise FatalBackendError(f"tantivy index at {self.path} cannot be opened ({exc}); "
                                        "rebuild it with `grenselos index --full`") from exc
            shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.analyzers = _analyzers()
        for name, analyzer in self.analyzers.items():
            self.index.register_tokenizer(name, analyzer)
        self._writer = None
        self._writer_heap, self._writer_threads = writer_heap, writer_threads
        self._documents = DecodedDocuments()
        self._facet_threads: tuple[int, ThreadPoolExecutor] | None = None

    def _facet_pool(self) -> ThreadPoolExecutor:
        """The facet threads of this process (made anew in a process forked from one that had them,
        whose threads did not come along)."""
        pid = os.getpid()
        if self._facet_threads is None or self._facet_threads[0] != pid:
            self._facet_threads = (pid, ThreadPoolExecutor(FACET_THREADS, thread_name_prefix="tantivy-facets"))
        return self._facet_threads[1]

    # -- writing ------------------------------------------------------------------------------

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self.index.writer(self._writer_heap, self._writer_threads)
            except ValueError as exc:
                raise BackendError(f"tantivy index at {self.path} is locked by another writer: {exc}") from exc
        return self._writer

    @staticmethod
    def fields(doc: Document) -> dict[str, object]:
        """The index's field values of a document: the logical fields (`flatten`, the stored document as
        its JSON text), their folded twins, the work hash and the facet terms."""
        values = flatten(doc)
        for name in FOLDED:
            exact = values.get(name)
            if exact:   # the exact forms are normalised already
                values[f"{name}_fold"] = [textmod.fold_normalized(v) for v in exact]
        values["work_hash"] = work_hash(doc.work_id)
        terms = []
        for name in TERM_FACETS:        # every facet counted by the term walk is a list of strings
            prefix = name + "="
            terms += [prefix + v for v in values.get(name, ())]
        if doc.year is not None:
            terms.append(f"{DECADE}={doc.year - doc.year % 10}")
        values[FACET_TERMS] = terms
        return values

    @classmethod
    def to_index_json(cls, doc: Document) -> str:
        """The document as tantivy's JSON input (the stored bytes base64-encoded, as tantivy reads a
        bytes field from JSON): one C call to serialise and one to parse, where building a
        `tantivy.Document` from Python values costs twice that."""
        values = cls.fields(doc)
        values["doc"] = b64encode(values["doc"].encode()).decode("ascii")
        return orjson.dumps(values).decode()

    def add(self, docs: Sequence[Document]) -> None:
        writer = self.writer
        for doc in docs:
            writer.delete_documents_by_term("id", doc.id)
            writer.add_json(self.to_index_json(doc))

    def delete(self, keys: Iterable[tuple[str, str]]) -> None:
        writer = self.writer
        for record_id, _work in keys:
            writer.delete_documents_by_term("id", record_id)

    def commit(self) -> None:
        if self._writer is None:
            return
        try:
            self._writer.commit()
        except ValueError as exc:
            self._writer.rollback()
            raise BackendError(f"tantivy commit failed: {exc}") from exc
        self.index.reload()
        self.facet_cache.clear()

    def rollback(self) -> None:
        if self._writer is not None:
            self._writer.rollback()

    def clear(self) -> None:
        self.writer.delete_all_documents()
        self.commit()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None
        if self._facet_threads is not None and self._facet_threads[0] == os.getpid():
            self._facet_threads[1].shutdown(wait=True)
        self._facet_threads = None

    def count(self) -> int:
        try:
            return self.index.searcher().num_docs
        except (ValueError, OSError) as exc:
            raise SearchUnavailable(f"tantivy index at {self.path} cannot be read: {exc}") from exc

    # -- queries ------------------------------------------------------------------------------

    def _terms(self, field: str, word: str, folded: bool = False) -> list[str]:
        analyzer = self.analyzers.get(f"gl_{field}", self.analyzers[EXACT])
        return analyzer.analyze(textmod.fold(word) if folded else word)

    def _word_clause(self, word: str, fields: dict[str, float]) -> TQuery:
        """One query word against several fields (exact and folded twins), any may match."""
        should = []
        for field, boost in fields.items():
            for twin, factor in ((field, 1.0), (f"{field}_fold", FOLD_FACTOR)):
                if twin != field and field not in FOLDED:
                    continue
                tokens = self._terms(field, word, folded=twin != field)
                if not tokens:
                    continue
                parts = [TQuery.term_query(self.schema, twin, t, index_option="freq") for t in tokens]
                q = parts[0] if len(parts) == 1 else TQuery.boolean_query([(Occur.Must, p) for p in parts])
                should.append((Occur.Should, TQuery.boost_query(q, boost * factor)))
        return TQuery.boolean_query(should) if should else TQuery.empty_query()

    def _identifier_clause(self, ident: str, *, text_too: bool) -> TQuery:
        forms = textmod.isbn_forms(ident) or [ident]
        should = [(Occur.Should, TQuery.boost_query(TQuery.term_set_query(self.schema, "identifier", forms),
                                                    IDENTIFIER_BOOST))]
        if text_too:
            should.append((Occur.Should, self._word_clause(ident, {"all": 1.0})))
        return TQuery.boolean_query(should)

    def _match(self, query: Query) -> TQuery | None:
        must = []
        if query.text.strip():
            words, identifiers = textmod.split_query(query.text)
            for word in words:
                must.append((Occur.Must, self._word_clause(word, FREE_TEXT_BOOSTS)))
            for ident in identifiers:
                must.append((Occur.Must, self._identifier_clause(ident, text_too=True)))
            key = textmod.exact_key(query.text)
            if key and must:
                must.append((Occur.Should, TQuery.boost_query(
                    TQuery.term_query(self.schema, "title_exact", key), EXACT_TITLE_BOOST)))
        for name, value in query.fielded:
            field = FIELDED[name]
            if field == "identifier":
                must.append((Occur.Must, self._identifier_clause(textmod.normalize_identifier(value),
                                                                  text_too=False)))
                continue
            for word in textmod.words(value):
                must.append((Occur.Must, self._word_clause(word, {field: 1.0})))
        return TQuery.boolean_query(must) if must else None

    def _filter(self, f: Filter | Range) -> tuple[Occur, TQuery]:
        if isinstance(f, Range):
            q = TQuery.range_query(self.schema, f.field, tantivy.FieldType.Integer,
                                   f.lo if f.lo is not None else -(2**62), f.hi if f.hi is not None else 2**62)
            return Occur.Must, TQuery.const_score_query(q, 0.0)
        q = TQuery.term_set_query(self.schema, f.field, filter_values(f.field, f.values))
        return (Occur.MustNot if f.exclude else Occur.Must), TQuery.const_score_query(q, 0.0)

    def _full_query(self, query: Query, extra: list | None = None) -> TQuery:
        """The match and the filters as one query. Browsing (no match) is its filters alone where one of
        them must match: intersecting every document with a filter of a million costs a third more."""
        clauses = [self._filter(f) for f in query.filters] + (extra or [])
        match = self._match(query)
        if match is not None:
            clauses.insert(0, (Occur.Must, match))
        elif not any(occur == Occur.Must for occur, _q in clauses):
            clauses.insert(0, (Occur.Must, TQuery.all_query()))
        return TQuery.boolean_query(clauses)

    def _search(self, searcher, q: TQuery, order: str, limit: int, offset: int = 0) -> _Found:
        if limit == 0:  # tantivy needs a positive limit; a count-only search keeps no hits
            return _Found(searcher.search(q, 1, count=True).count)
        if order == "scored":
            return self._scored(searcher, q, limit, offset)
        found = searcher.search(q, limit, count=True, offset=offset, order_by_field=ORDER_FIELDS[order],
                                order=tantivy.Order.Asc)
        return _Found(found.count, found.hits)

    def _scored(self, searcher, q: TQuery, limit: int, offset: int) -> _Found:
        """Hits by score, those whose scores tie in `sort_rank` order: fetched from the top (tantivy
        collects offset + limit hits for any page anyway) until the page's last score no longer ties
        with the hits after it, so that a run of equal scores is ordered whole."""
        want = offset + limit
        fetch = want + TIE_MARGIN
        while True:
            found = searcher.search(q, fetch, count=True, weight_by_field="rank")
            hits = found.hits
            if len(hits) < fetch or hits[-1][0] != hits[want - 1][0]:
                break
            fetch *= 2
        return _Found(found.count, self._break_ties(searcher, hits)[offset:want])

    def _break_ties(self, searcher, hits: list) -> list:
        out, start = [], 0
        while start < len(hits):
            end = start + 1
            while end < len(hits) and hits[end][0] == hits[start][0]:
                end += 1
            run = hits[start:end]
            if len(run) > 1:
                run.sort(key=lambda hit: edition_order(self._documents.decode(searcher.doc(hit[1]).get_first("doc"))))
            out += run
            start = end
        return out

    def _hit(self, searcher, score, address, scored_: bool) -> Hit:
        doc = self._documents.decode(searcher.doc(address).get_first("doc"))
        return Hit(doc.id, doc.work_id, float(score) if scored_ else None, doc)

    def search(self, query: Query) -> Result:
        query.validate()
        q = self._full_query(query)
        order = _order(query)
        try:
            searcher = self.index.searcher()
            cached = facets = self.facet_cache.get(query)
            counting = None
            if cached is None and query.facets:
                # a broad query's facets are counted in a thread beside the search; a narrow one's cost
                # less than handing them over, and are counted after it
                estimate = self._estimate(searcher, query)
                if estimate >= self.term_walk_from and _cores_to_spare():
                    counting = self._facet_pool().submit(self._facets, searcher, q, query, estimate)
            try:
                if query.group:
                    result = self._grouped(searcher, q, query)
                else:
                    found = self._search(searcher, q, order, query.limit, query.offset)
                    hits = [self._hit(searcher, s, a, order == "scored") for s, a in found.hits]
                    result = Result(total=found.count, hits=hits)
            finally:   # never leave a count running past its request, even when the search failed
                if counting is not None:
                    facets = counting.result()
            if facets is None:
                facets = self._facets(searcher, q, query, result.total)
            if cached is None:
                self.facet_cache.put(query, facets)
            result.facets = facets
        except (ValueError, OSError) as exc:   # queries are built, not parsed: the index is unreadable
            raise SearchUnavailable(f"tantivy search failed: {exc}") from exc
        return result

    def _estimate(self, searcher, query: Query) -> int:
        """About how many documents match, from the term dictionary alone (no walk of any posting): the
        rarest of the query's words (counted in the folded `all` field, the widest), bounded by the
        narrowest positive filter. It only chooses how facets are counted; both ways count exactly."""
        estimate = searcher.num_docs
        words, identifiers = textmod.split_query(query.text) if query.text.strip() else ([], [])
        if identifiers or any(FIELDED[name] == "identifier" for name, _v in query.fielded):
            return 0    # an identifier finds a handful
        fielded = [(FIELDED[name], word) for name, value in query.fielded for word in textmod.words(value)]
        for field, word in [("all", w) for w in words] + fielded:
            twin = f"{field}_fold" if field in FOLDED else field
            tokens = self._terms(field, word, folded=twin != field)
            estimate = min([estimate, *(searcher.doc_freq(twin, t) for t in tokens)])
        for f in query.filters:
            if isinstance(f, Filter) and not f.exclude:
                estimate = min(estimate, sum(searcher.doc_freq(f.field, v) for v in filter_values(f.field, f.values)))
        return estimate

    def _grouped(self, searcher, q: TQuery, query: Query) -> Result:
        wanted = query.offset + query.limit
        order_by = _order(query)
        order: list[tuple[int, object]] = []
        seen: set[int] = set()
        # A string sort costs per hit kept (its ordinals are resolved segment by segment), so the first
        # chunk is smaller there; a scored chunk costs little more at 200 than at 20.
        first = max(200, wanted * 4) if order_by == "scored" else max(40, wanted * 2)
        position, chunk, total = 0, first, None
        while len(order) < wanted:
            found = self._search(searcher, q, order_by, chunk, position)
            total = found.count if total is None else total
            if not found.hits:
                break
            hashes = searcher.fast_field_values("work_hash", [a for _s, a in found.hits])
            for h, (_s, address) in zip(hashes, found.hits):
                if h not in seen:
                    seen.add(h)
                    order.append((h, address))
            position += len(found.hits)
            if position >= total:
                break
            chunk *= 2
        if total is None:  # a count-only grouped query (limit 0)
            total = self._search(searcher, q, order_by, 0).count
        page = order[query.offset:wanted]
        hits, counts = self._editions(searcher, q, query, [address for _h, address in page])
        return Result(total=total, groups=group_hits(hits, counts, query.group_limit),
                      total_groups=self._count_groups(searcher, q, total, len(seen), position))

    def _editions(self, searcher, q: TQuery, query: Query, firsts: list):
        """The matching editions of the page's works (up to group_limit each, the first heading the work)
        and their counts: one query for all works, counted from its own hits when they are all in hand,
        and a query per work only where that one did not reach far enough. Under the relevance sort a
        work's editions are in the projection's edition order (`sort_rank`), never by score, so which
        edition heads a work does not depend on how an engine scores; otherwise in the sort's order."""
        if not firsts:
            return [], {}
        work_ids = [searcher.doc(a).get_first("work_id") for a in firsts]
        by_hash = {work_hash(w): w for w in work_ids}
        in_page = TQuery.boolean_query([(Occur.Must, q), (Occur.Must, TQuery.const_score_query(
            TQuery.term_set_query(self.schema, "work_id", work_ids), 0.0))])
        # The editions come in edition order (relevance) or in year order (an integer sort, cheap) and are
        # put in title or newest order here, by the key the index itself sorts by, rather than resolving
        # string sort ordinals for every one.
        order_by = "rank" if query.sort == "relevance" else query.sort
        found = searcher.search(in_page, IN_PAGE, count=True, order_by_field="sort_rank" if order_by == "rank"
                                else "year", order=tantivy.Order.Asc if order_by == "rank" else tantivy.Order.Desc)
        hashes = searcher.fast_field_values("work_hash", [a for _s, a in found.hits])
        in_hand = [(by_hash[h], address) for h, (_s, address) in zip(hashes, found.hits) if h in by_hash]
        held = Counter(work for work, _a in in_hand)
        if found.count <= len(found.hits):
            counts = held
        else:   # works with very many editions: count them in the index
            agg = searcher.aggregate(in_page, {"w": {"terms": {"field": "work_id", "size": len(work_ids),
                                                               "segment_size": max(len(work_ids) * 10, 100)}}})
            counts = Counter({b["key"]: b["doc_count"] for b in agg["w"]["buckets"]})
        wanted = {w: min(counts.get(w, 0), query.group_limit) for w in work_ids}
        by_work: dict[str, list[Hit]] = {w: [] for w in work_ids}
        if order_by == "rank":   # in edition order already; each work's hits in hand are its first ones
            for work, address in in_hand:
                if len(by_work[work]) < wanted[work]:
                    by_work[work].append(self._hit(searcher, None, address, False))
        else:   # the works whose editions are all in hand; the others are asked for alone below
            hits = sorted((self._hit(searcher, None, address, False) for work, address in in_hand
                           if held[work] == counts.get(work, 0)), key=lambda hit: sort_key(hit.document, query.sort))
            for hit in hits:
                if len(by_work[hit.work_id]) < wanted[hit.work_id]:
                    by_work[hit.work_id].append(hit)
        for work in work_ids:
            if len(by_work[work]) < wanted[work]:  # a work with very many editions: ask for it alone
                alone = TQuery.boolean_query([(Occur.Must, q), (Occur.Must, TQuery.const_score_query(
                    TQuery.term_query(self.schema, "work_id", work), 0.0))])
                by_work[work] = [self._hit(searcher, None, a, False)
                                 for _s, a in self._search(searcher, alone, order_by, query.group_limit).hits]
        return [h for w in work_ids for h in by_work[w]], dict(counts)

    def _count_groups(self, searcher, q: TQuery, total: int, seen: int, scanned: int) -> int:
        if scanned >= total:
            return seen
        if total <= EXACT_GROUP_COUNT:
            every = searcher.search(q, total, count=False, order_by_field="year").hits
            return len(set(searcher.fast_field_values("work_hash", [a for _s, a in every])))
        if total <= APPROX_GROUP_COUNT:  # HyperLogLog: within a few per cent ("about N works")
            agg = searcher.aggregate(q, {"g": {"cardinality": {"field": "work_hash"}}})
            return min(total, int(round(agg["g"]["value"])))
        # a very broad query: the works per edition of the hits scanned, as the portal's "about N works"
        return max(seen, min(total, int(round(total * seen / max(scanned, 1)))))

    # -- facets -------------------------------------------------------------------------------

    @staticmethod
    def _decade_aligned(facet: RangeFacet) -> bool:
        return facet.field == "year" and all((lo is None or lo % 10 == 0) and (hi is None or hi % 10 == 9)
                                             for lo, hi in facet.buckets)

    def _term_counts(self, searcher, q: TQuery, prefixes: list[str]) -> dict[str, dict[str, int]]:
        """`field=value` counts over the matching documents: one walk when several facets are asked."""
        prefix = prefixes[0] + "=" if len(prefixes) == 1 else ""
        out: dict[str, dict[str, int]] = {p: {} for p in prefixes}
        for term, count in searcher.terms_with_prefix(FACET_TERMS, prefix, filter_query=q):
            name, _, value = term.partition("=")
            if name in out and count > 0:
                out[name][value] = count
        return out

    def _facets(self, searcher, q: TQuery, query: Query, total: int | None = None) -> dict[str, list[FacetValue]]:
        if not query.facets:
            return {}
        walk = total is None or total >= self.term_walk_from
        in_walk = TERM_FACETS if walk else ()
        by_terms = [f.field for f in query.facets if isinstance(f, Facet) and f.field in in_walk]
        decades_by_walk = walk and any(isinstance(f, RangeFacet) and self._decade_aligned(f) for f in query.facets)
        if decades_by_walk:
            by_terms.append(DECADE)
        counts = self._term_counts(searcher, q, by_terms) if by_terms else {}
        spec = {}
        for n, facet in enumerate(query.facets):
            if isinstance(facet, Facet) and facet.field not in in_walk:
                size = 1000 if facet.always else facet.limit + 20
                spec[f"f{n}"] = {"terms": {"field": facet.field, "size": size, "segment_size": max(size * 10, 200)}}
            elif isinstance(facet, RangeFacet) and not (decades_by_walk and self._decade_aligned(facet)):
                ranges = []
                for lo, hi in facet.buckets:
                    r = {"key": bucket_key(lo, hi)}
                    if lo is not None:
                        r["from"] = lo
                    if hi is not None:
                        r["to"] = hi + 1
                    ranges.append(r)
                spec[f"f{n}"] = {"range": {"field": facet.field, "ranges": ranges}}
        agg = searcher.aggregate(q, spec) if spec else {}
        out = {}
        for n, facet in enumerate(query.facets):
            if isinstance(facet, Facet):
                if facet.field in in_walk:
                    out[facet.field] = cut_facet(counts[facet.field], facet)
                else:
                    buckets = agg.get(f"f{n}", {}).get("buckets", [])
                    out[facet.field] = cut_facet({b["key"]: b["doc_count"] for b in buckets}, facet)
            elif decades_by_walk and self._decade_aligned(facet):
                decades = {int(k): c for k, c in counts[DECADE].items()}
                out[facet.field] = [FacetValue(bucket_key(lo, hi), sum(
                    c for d, c in decades.items() if (lo is None or d >= lo) and (hi is None or d <= hi)))
                    for lo, hi in facet.buckets]
            else:
                buckets = {b["key"]: b["doc_count"] for b in agg.get(f"f{n}", {}).get("buckets", [])}
                out[facet.field] = [FacetValue(bucket_key(lo, hi), buckets.get(bucket_key(lo, hi), 0))
                                    for lo, hi in facet.buckets]
        return out

    # -- single documents and spelling --------------------------------------------------------

    def get(self, record_id: str) -> Document | None:
        """The document with this id (or, for links made before ids were minted, this harvest id)."""
        if not record_id:
            return None
        try:
            searcher = self.index.searcher()
            for field in ("id", "harvest_id"):
                found = searcher.search(TQuery.term_query(self.schema, field, record_id), 1, count=False)
                if found.hits:
                    return Document.from_json(searcher.doc(found.hits[0][1]).get_first("doc"))
        except (ValueError, OSError) as exc:
            raise SearchUnavailable(f"tantivy index at {self.path} cannot be read: {exc}") from exc
        return None

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Spelling suggestions from the index's own words (the exact-form `all` field)."""
        searcher = self.index.searcher()

        def known(word: str) -> bool:
            return searcher.doc_freq("all", word) > 0

        def candidates(word: str):
            return searcher.terms_with_prefix("all", word[:1])

        try:
            return spelling.suggest(text, known, candidates, limit)
        except (ValueError, OSError) as exc:
            raise SearchUnavailable(f"tantivy suggestion lookup failed: {exc}") from exc
