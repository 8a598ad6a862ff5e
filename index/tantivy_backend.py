"""The embedded default: a tantivy index in data_dir/index, no server.

Folding is done in Python (`index.text.fold`) into `<field>_fold` twins, for documents and queries
alike; stemming and lower-casing are tantivy's own analysers. Static rank (libraries holding the work,
then recency) multiplies the BM25 score through tantivy's `weight_by_field`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import tantivy
from tantivy import Filter as TFilter, Occur, Query as TQuery, TextAnalyzerBuilder, Tokenizer

from index import text as textmod
from index.backend import FacetCache, SearchBackend, work_hash
from index.document import Document
from index.errors import BackendError, FatalBackendError
from index.fields import (EXACT_TITLE_BOOST, FIELDED, FIELDS, FOLD_FACTOR, FOLDED, FREE_TEXT_BOOSTS,
                          IDENTIFIER_BOOST, flatten)
from index.query import (Facet, FacetValue, Filter, Hit, Query, Range, RangeFacet, Result, bucket_key,
                         cut_facet, group_hits)

STEMMERS = {"stem_no": "norwegian", "stem_fi": "finnish", "stem_ru": "russian", "stem_en": "english"}
EXACT = "gl_exact"
#: Up to this many matching documents the number of works is counted exactly.
EXACT_GROUP_COUNT = 50_000


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
            sb.add_text_field(f.name, stored=f.name in ("id", "work_id"), fast=True, tokenizer_name="raw",
                              index_option="basic")
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
    return sb.build()


class _Counted:
    """A search result with a count and no hits (tantivy has no limit-0 search)."""
    hits: list = []

    def __init__(self, count: int):
        self.count = count


class TantivyBackend(SearchBackend):
    name = "tantivy"

    def __init__(self, path: Path | str, *, writer_heap: int = 256_000_000, writer_threads: int = 0,
                 facet_cache_seconds: float = 30.0):
        self.path = Path(path)
        self.facet_cache = FacetCache(facet_cache_seconds)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            raise FatalBackendError(f"tantivy index at {self.path} cannot be opened ({exc}); "
                                    "rebuild it with `grenselos index --full`") from exc
        self.analyzers = _analyzers()
        for name, analyzer in self.analyzers.items():
            self.index.register_tokenizer(name, analyzer)
        self._writer = None
        self._writer_heap, self._writer_threads = writer_heap, writer_threads

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
    def to_tantivy(doc: Document) -> tantivy.Document:
        values = flatten(doc)
        values["doc"] = values["doc"].encode()
        for name in FOLDED:
            if name in values:
                values[f"{name}_fold"] = [textmod.fold(v) for v in values[name]]
        values["work_hash"] = work_hash(doc.work_id)
        return tantivy.Document(**values)

    def add(self, docs: Sequence[Document]) -> None:
        writer = self.writer
        for doc in docs:
            writer.delete_documents_by_term("id", doc.id)
            writer.add_document(self.to_tantivy(doc))

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

    def count(self) -> int:
        return self.index.searcher().num_docs

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
        q = TQuery.term_set_query(self.schema, f.field, list(f.values))
        return (Occur.MustNot if f.exclude else Occur.Must), TQuery.const_score_query(q, 0.0)

    def _full_query(self, query: Query, extra: list | None = None) -> TQuery:
        clauses = []
        match = self._match(query)
        clauses.append((Occur.Must, match if match is not None else TQuery.all_query()))
        clauses += [self._filter(f) for f in query.filters]
        clauses += extra or []
        return TQuery.boolean_query(clauses)

    def _search(self, searcher, q: TQuery, sort: str, limit: int, offset: int = 0):
        if limit == 0:  # tantivy needs a positive limit; a count-only search keeps no hits
            found = searcher.search(q, 1, count=True)
            return _Counted(found.count)
        if sort == "relevance":
            return searcher.search(q, limit, count=True, offset=offset, weight_by_field="rank")
        field = "sort_newest" if sort == "newest" else "sort_title"
        return searcher.search(q, limit, count=True, offset=offset, order_by_field=field,
                               order=tantivy.Order.Asc)

    @staticmethod
    def _hit(searcher, score, address, relevance: bool) -> Hit:
        stored = searcher.doc(address)
        doc = Document.from_json(stored.get_first("doc").decode())
        return Hit(doc.id, doc.work_id, float(score) if relevance else None, doc)

    def search(self, query: Query) -> Result:
        query.validate()
        searcher = self.index.searcher()
        q = self._full_query(query)
        relevance = query.sort == "relevance"
        try:
            if query.group:
                result = self._grouped(searcher, q, query)
            else:
                found = self._search(searcher, q, query.sort, query.limit, query.offset)
                hits = [self._hit(searcher, s, a, relevance) for s, a in found.hits]
                result = Result(total=found.count, hits=hits)
            facets = self.facet_cache.get(query)
            if facets is None:
                facets = self._facets(searcher, q, query)
                self.facet_cache.put(query, facets)
            result.facets = facets
        except ValueError as exc:
            raise BackendError(f"tantivy search failed: {exc}") from exc
        return result

    def _grouped(self, searcher, q: TQuery, query: Query) -> Result:
        wanted = query.offset + query.limit
        order: list[tuple[int, object]] = []
        seen: set[int] = set()
        position, chunk, total = 0, max(200, wanted * 4), None
        while len(order) < wanted:
            found = self._search(searcher, q, query.sort, chunk, position)
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
            total = self._search(searcher, q, query.sort, 0).count
        page = order[query.offset:wanted]
        relevance = query.sort == "relevance"
        hits, counts = self._editions(searcher, q, query, [address for _h, address in page], relevance)
        return Result(total=total, groups=group_hits(hits, counts, query.group_limit),
                      total_groups=self._count_groups(searcher, q, total, len(seen), position))

    def _editions(self, searcher, q: TQuery, query: Query, firsts: list, relevance: bool):
        """The matching editions of the page's works (best first, up to group_limit each) and their counts:
        one query for all works, and a query per work only where that one did not reach far enough."""
        if not firsts:
            return [], {}
        work_ids = [searcher.doc(a).get_first("work_id") for a in firsts]
        in_page = TQuery.boolean_query([(Occur.Must, q), (Occur.Must, TQuery.const_score_query(
            TQuery.term_set_query(self.schema, "work_id", work_ids), 0.0))])
        agg = searcher.aggregate(in_page, {"w": {"terms": {"field": "work_id", "size": len(work_ids),
                                                           "segment_size": max(len(work_ids) * 10, 100)}}})
        counts = {b["key"]: b["doc_count"] for b in agg["w"]["buckets"]}
        wanted = {w: min(counts.get(w, 0), query.group_limit) for w in work_ids}
        found = self._search(searcher, in_page, query.sort, min(sum(counts.values()), 2000) or 1)
        by_work: dict[str, list[Hit]] = {w: [] for w in work_ids}
        by_hash = {work_hash(w): w for w in work_ids}
        hashes = searcher.fast_field_values("work_hash", [a for _s, a in found.hits])
        for h, (score, address) in zip(hashes, found.hits):
            work = by_hash.get(h)
            if work is not None and len(by_work[work]) < wanted[work]:
                by_work[work].append(self._hit(searcher, score, address, relevance))
        for work in work_ids:
            if len(by_work[work]) < wanted[work]:  # a work with very many editions: ask for it alone
                alone = TQuery.boolean_query([(Occur.Must, q), (Occur.Must, TQuery.const_score_query(
                    TQuery.term_query(self.schema, "work_id", work), 0.0))])
                by_work[work] = [self._hit(searcher, s, a, relevance)
                                 for s, a in self._search(searcher, alone, query.sort, query.group_limit).hits]
        return [h for w in work_ids for h in by_work[w]], counts

    def _count_groups(self, searcher, q: TQuery, total: int, seen: int, scanned: int) -> int:
        if scanned >= total:
            return seen
        if total <= EXACT_GROUP_COUNT:
            every = searcher.search(q, total, count=False, order_by_field="year").hits
            return len(set(searcher.fast_field_values("work_hash", [a for _s, a in every])))
        # beyond that, HyperLogLog: within a few per cent, as the portal's "about N works" shows
        agg = searcher.aggregate(q, {"g": {"cardinality": {"field": "work_id"}}})
        return int(round(agg["g"]["value"]))

    def _facets(self, searcher, q: TQuery, query: Query) -> dict[str, list[FacetValue]]:
        if not query.facets:
            return {}
        spec = {}
        for n, facet in enumerate(query.facets):
            if isinstance(facet, Facet):
                size = 1000 if facet.always else facet.limit + 20
                spec[f"f{n}"] = {"terms": {"field": facet.field, "size": size, "segment_size": max(size * 10, 200)}}
            else:
                ranges = []
                for lo, hi in facet.buckets:
                    r = {"key": bucket_key(lo, hi)}
                    if lo is not None:
                        r["from"] = lo
                    if hi is not None:
                        r["to"] = hi + 1
                    ranges.append(r)
                spec[f"f{n}"] = {"range": {"field": facet.field, "ranges": ranges}}
        agg = searcher.aggregate(q, spec)
        out = {}
        for n, facet in enumerate(query.facets):
            buckets = agg.get(f"f{n}", {}).get("buckets", [])
            if isinstance(facet, Facet):
                out[facet.field] = cut_facet({b["key"]: b["doc_count"] for b in buckets}, facet)
            else:
                counts = {b["key"]: b["doc_count"] for b in buckets}
                out[facet.field] = [FacetValue(bucket_key(lo, hi), counts.get(bucket_key(lo, hi), 0))
                                    for lo, hi in facet.buckets]
        return out
