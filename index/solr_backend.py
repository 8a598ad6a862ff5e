"""Solr 9 through pysolr: one standalone core or a SolrCloud collection of several shards.

Document ids are routed `<work route>!<record id>` (compositeId), so every edition of a work lives on
one shard and grouping by work is exact across shards. Folding and stemming are Solr's analysers
(configset in index/solr/configset); the query mirrors the tantivy backend's: every word must match
some field, an exact title and identifiers weigh most, static rank multiplies the score.

When a node is down the backend degrades rather than fails: requests fail over to the collection's
other nodes (`index.solr_nodes`), and a search with a shard that does not answer returns what the other
shards found, marked `Result.partial` (Solr's `shards.tolerant`), since a work lives on one shard and
its hits are whole. A partial answer with nothing found, or a record not found while a shard is
missing, is `SearchUnavailable`: the answer might be on the missing shard.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Iterable, Sequence

import pysolr
import requests

from core.errors import reason
from index import text as textmod
from index.backend import FacetCache, SearchBackend
from index.document import Document
from index.errors import BackendError, FatalBackendError, SearchUnavailable
from index.solr_nodes import SolrNodes
from index import solr_health, spelling
from index.fields import (EXACT_TITLE_BOOST, FIELDED, FOLD_FACTOR, FOLDED, FREE_TEXT_BOOSTS,
                          IDENTIFIER_BOOST, filter_values, flatten)
from index.query import (Facet, FacetValue, Hit, Query, Range, Result, bucket_key, cut_facet,
                         group_hits)

#: Tag of the collapse filter (grouping by work), excluded from facet counts.
COLLAPSE = "gl_collapse"
#: Facets with few values, counted term by term from cached filters (facet.method=enum): at a million
#: documents several times faster than walking doc values.
LOW_CARDINALITY = ("language", "format", "audience", "library", "municipality", "library_kind", "availability",
                   "genre_facet", "source")

#: Ties are broken by the projection's edition order (`sort_rank`, index.fields.edition_order), as on
#: tantivy; a relevance query without free text is in that order alone (EDITION_ORDER).
SORTS = {"relevance": "score desc,sort_rank asc", "newest": "sort_newest asc", "title": "sort_title asc"}
EDITION_ORDER = "sort_rank asc"


def route_key(work_id: str) -> str:
    """A shard-routing prefix safe for compositeId (no '!' or '/'), stable per work."""
    return hashlib.blake2b(work_id.encode(), digest_size=6).hexdigest()


def solr_id(record_id: str, work_id: str) -> str:
    return f"{route_key(work_id)}!{record_id}"


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def qf(fields: dict[str, float]) -> str:
    parts = []
    for name, boost in fields.items():
        parts.append(f"{name}^{boost:g}")
        if name in FOLDED:
            parts.append(f"{name}_fold^{boost * FOLD_FACTOR:g}")
    return " ".join(parts)


def _partial(raw) -> bool:
    """Whether some shard did not answer a tolerant request (`shards.tolerant`): Solr then says so in
    the response header instead of failing the whole request."""
    return bool((raw.raw_response or {}).get("responseHeader", {}).get("partialResults"))


class SolrBackend(SearchBackend):
    name = "solr"

    def __init__(self, url: str | Sequence[str], *, timeout: float = 60, facet_cache_seconds: float = 30.0):
        """`url`: the core or collection, or its URLs on several SolrCloud nodes (failed over in turn)."""
        self.nodes = SolrNodes([url] if isinstance(url, str) else url, timeout=timeout)
        self.facet_cache = FacetCache(facet_cache_seconds)

    @property
    def url(self) -> str:
        return self.nodes.url

    def _call(self, what: str, method: str, *args, **kwargs):
        """One pysolr request on the first node that answers. An outage is SearchUnavailable (from
        SolrNodes); a request Solr refuses for a missing field or core is fatal for the run."""
        try:
            return self.nodes.call(what, lambda solr: getattr(solr, method)(*args, **kwargs))
        except pysolr.SolrError as exc:
            message = str(exc)
            if "undefined field" in message or "Not Found" in message or "404" in message:
                raise FatalBackendError(f"Solr at {self.url} rejected {what}: {message[:300]} "
                                        "(run `grenselos solr init`?)") from exc
            raise BackendError(f"Solr at {self.url} failed on {what}: {message[:300]}") from exc
        except requests.RequestException as exc:
            raise BackendError(f"Solr at {self.url} failed on {what}: {reason(exc)}") from exc

    # -- writing ------------------------------------------------------------------------------

    @staticmethod
    def to_solr(doc: Document) -> dict:
        values = flatten(doc)
        values["record_id"] = doc.id
        values["id"] = solr_id(doc.id, doc.work_id)
        return values

    def add(self, docs: Sequence[Document]) -> None:
        if docs:
            self._call("add", "add", [self.to_solr(d) for d in docs], commit=False)

    def delete(self, keys: Iterable[tuple[str, str]]) -> None:
        ids = [solr_id(record_id, work_id) for record_id, work_id in keys]
        for start in range(0, len(ids), 500):
            self._call("delete", "delete", id=ids[start:start + 500], commit=False)

    def commit(self) -> None:
        self._call("commit", "commit", waitSearcher=True)
        self.facet_cache.clear()

    def clear(self) -> None:
        self._call("delete", "delete", q="*:*", commit=False)
        self.commit()

    def count(self) -> int:
        return self._call("count", "search", "*:*", rows=0).hits

    def ping(self) -> bool:
        try:
            self._call("ping", "ping")
            return True
        except BackendError:
            return False

    def health(self) -> dict:
        return solr_health.check(self.nodes.urls)

    def settled(self) -> bool:
        return solr_health.settled(self.nodes.urls)

    # -- queries ------------------------------------------------------------------------------

    def params(self, query: Query) -> tuple[str, dict]:
        """The Solr request for a query (public so that tests and the bench can inspect it)."""
        p: dict = {"fl": "id,record_id,work_id,doc,score", "fq": [], "sort": SORTS[query.sort],
                   "start": query.offset, "rows": query.limit, "shards.tolerant": "true"}
        q = "*:*"
        words, identifiers = textmod.split_query(query.text) if query.text.strip() else ([], [])
        if words or identifiers:
            forms = [" OR ".join(textmod.isbn_forms(i) or [i]) for i in identifiers]
            p.update({"defType": "edismax", "qf": qf(FREE_TEXT_BOOSTS) + f" identifier^{IDENTIFIER_BOOST:g}",
                      "mm": "100%", "sow": "true", "q.op": "AND", "boost": "log(sum(2,rank))"})
            q = " ".join(words + [f"({f})" for f in forms])
            key = textmod.exact_key(query.text)
            if key:
                p["bq"] = f"title_exact:{quote(key)}^{EXACT_TITLE_BOOST:g}"
        elif query.sort == "relevance":
            p["sort"] = EDITION_ORDER
        for n, (name, value) in enumerate(query.fielded):
            field = FIELDED[name]
            if field == "identifier":
                forms = textmod.isbn_forms(value) or [textmod.normalize_identifier(value)]
                p["fq"].append("identifier:(" + " OR ".join(quote(f) for f in forms) + ")")
                continue
            fielded_words = textmod.words(value)
            if fielded_words:
                p[f"gl_f{n}"] = " ".join(fielded_words)
                p["fq"].append(f"{{!edismax qf='{qf({field: 1.0})}' mm='100%' sow=true v=$gl_f{n}}}")
        for f in query.filters:
            if isinstance(f, Range):
                lo = "*" if f.lo is None else int(f.lo)
                hi = "*" if f.hi is None else int(f.hi)
                p["fq"].append(f"{f.field}:[{lo} TO {hi}]")
            else:
                clause = f"{f.field}:(" + " OR ".join(quote(v) for v in filter_values(f.field, f.values)) + ")"
                p["fq"].append(("-" if f.exclude else "") + clause)
        # Grouping by work: collapse each work to its best-placed edition under the query's own sort (ties
        # broken by sort_rank, exactly as tantivy walks its hits; a work's editions share a shard), which
        # places the work; `_editions` then fetches the page's works' editions in one query. Facets and the
        # edition total ignore the collapse (`ex`), so they count editions, as on tantivy.
        ex = ""
        if query.group:
            ex = f"ex={COLLAPSE} "
            p["fq"].append(f"{{!collapse tag={COLLAPSE} field=work_id hint=top_fc sort='{p['sort']}'}}")
            p.update({"facet": "true", "facet.query": [f"{{!key=gl_total {ex}}}*:*"]})
        if query.facets:
            p.update({"facet": "true", "facet.mincount": 1, "facet.field": []})
            p.setdefault("facet.query", [])
            for n, facet in enumerate(query.facets):
                if isinstance(facet, Facet):
                    p["facet.field"].append(f"{{!{ex.strip()}}}{facet.field}" if ex else facet.field)
                    p[f"f.{facet.field}.facet.limit"] = -1 if facet.always else facet.limit + 20
                    if facet.field in LOW_CARDINALITY:
                        p[f"f.{facet.field}.facet.method"] = "enum"
                else:
                    for i, (lo, hi) in enumerate(facet.buckets):
                        lo_s = "*" if lo is None else lo
                        hi_s = "*" if hi is None else hi
                        p["facet.query"].append(f"{{!key=r{n}_{i} {ex}}}{facet.field}:[{lo_s} TO {hi_s}]")
        return q, p

    def _editions(self, q: str, params: dict, work_ids: list[str], group_limit: int, relevance: bool):
        """The matching editions of the page's works, and how many each work has: in the projection's
        edition order under the relevance sort (never by score, so that the edition heading a work is the
        same on every backend), otherwise in the sort's order."""
        p = {k: v for k, v in params.items() if not k.startswith(("facet", "f."))}
        if relevance:
            p["sort"] = EDITION_ORDER
        p["fq"] = [f for f in params["fq"] if COLLAPSE not in f] + [
            "work_id:(" + " OR ".join(quote(w) for w in work_ids) + ")"]
        p.update({"start": 0, "rows": min(len(work_ids) * group_limit * 4, 2000), "facet": "true",
                  "facet.field": "work_id", "f.work_id.facet.limit": -1, "facet.mincount": 1})
        raw = self._call("search", "search", q, **p)
        flat = (raw.facets or {}).get("facet_fields", {}).get("work_id", [])
        return raw.docs, dict(zip(flat[::2], flat[1::2]))

    def search(self, query: Query) -> Result:
        query.validate()
        cached = self.facet_cache.get(query)
        q, params = self.params(dataclasses.replace(query, facets=()) if cached is not None else query)
        raw = self._call("search", "search", q, **params)
        partial = _partial(raw)
        if partial and not raw.hits:
            raise SearchUnavailable(f"Solr at {self.url}: no shard answered with hits and some did not answer")
        relevance = query.sort == "relevance"

        def hit(d) -> Hit:
            doc = Document.from_json(d["doc"])
            return Hit(doc.id, doc.work_id, float(d["score"]) if relevance and "score" in d else None, doc)

        if query.group:
            heads = [hit(d) for d in raw.docs]
            hits, counts = [], {}
            if heads:
                docs, counts = self._editions(q, params, [h.work_id for h in heads], query.group_limit, relevance)
                by_work: dict[str, list[Hit]] = {h.work_id: [] for h in heads}
                for d in docs:
                    if d["work_id"] in by_work and len(by_work[d["work_id"]]) < query.group_limit:
                        by_work[d["work_id"]].append(hit(d))
                for work, found in by_work.items():  # a work with very many editions: ask for it alone
                    if len(found) < min(counts.get(work, 0), query.group_limit):
                        alone, _c = self._editions(q, params, [work], query.group_limit, relevance)
                        by_work[work] = [hit(d) for d in alone[:query.group_limit]]
                for head in heads:   # the collapse's head places the work; its first edition heads it
                    hits += by_work[head.work_id] or [head]
            total = int((raw.facets or {}).get("facet_queries", {}).get("gl_total", raw.hits))
            result = Result(total=total, groups=group_hits(hits, counts, query.group_limit), total_groups=raw.hits)
        else:
            result = Result(total=raw.hits, hits=[hit(d) for d in raw.docs])
        if cached is None:
            cached = self._facets(raw, query)
            if not partial:          # counts of part of the index are never reused
                self.facet_cache.put(query, cached)
        result.facets = cached
        result.partial = partial
        return result

    def get(self, record_id: str) -> Document | None:
        """The document with this id (or, for links made before ids were minted, this harvest id)."""
        if not record_id:
            return None
        raw = self._call("get", "search", f"record_id:{quote(record_id)} OR harvest_id:{quote(record_id)}",
                         fl="record_id,doc", rows=2, **{"shards.tolerant": "true"})
        if not raw.docs and _partial(raw):   # it may live on the shard that did not answer
            raise SearchUnavailable(f"Solr at {self.url}: {record_id} not found and some shards did not answer")
        docs = sorted(raw.docs, key=lambda d: d.get("record_id") != record_id)  # the id before a harvest id
        return Document.from_json(docs[0]["doc"]) if docs else None

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Spelling suggestions from the index's own words: Solr's spellcheck component on `all`."""
        words = textmod.words(text)
        checked = [w for w in words if spelling.needs_checking(w)]
        if not checked:
            return []
        raw = self._call("suggest", "search", "*:*", rows=0, **{
            "spellcheck": "true", "spellcheck.q": " ".join(checked), "spellcheck.count": limit,
            "spellcheck.onlyMorePopular": "false", "spellcheck.extendedResults": "false"})
        found = (raw.raw_response.get("spellcheck") or {}).get("suggestions") or []
        pairs = zip(found[::2], found[1::2]) if found and isinstance(found[0], str) else []
        alternatives = {}
        for word, info in pairs:
            options = [o if isinstance(o, str) else o.get("word", "") for o in info.get("suggestion", [])]
            alternatives[word] = [o for o in options if o][:limit]
        return spelling.compose(words, alternatives, limit)

    @staticmethod
    def _facets(raw, query: Query) -> dict[str, list[FacetValue]]:
        out = {}
        fields = raw.facets.get("facet_fields", {}) if raw.facets else {}
        queries = raw.facets.get("facet_queries", {}) if raw.facets else {}
        for n, facet in enumerate(query.facets):
            if isinstance(facet, Facet):
                flat = fields.get(facet.field, [])
                counts = dict(zip(flat[::2], flat[1::2]))
                out[facet.field] = cut_facet(counts, facet)
            else:
                out[facet.field] = [FacetValue(bucket_key(lo, hi), int(queries.get(f"r{n}_{i}", 0)))
                                    for i, (lo, hi) in enumerate(facet.buckets)]
        return out
