"""Solr 9 through pysolr: one standalone core or a SolrCloud collection of several shards.

Document ids are routed `<work route>!<record id>` (compositeId), so every edition of a work lives on
one shard and grouping by work is exact across shards. Folding and stemming are Solr's analysers
(configset in index/solr/configset); the query mirrors the tantivy backend's: every word must match
some field, an exact title and identifiers weigh most, static rank multiplies the score.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Iterable, Sequence

import pysolr
import requests

from index import text as textmod
from index.backend import FacetCache, SearchBackend
from index.document import Document
from index.errors import BackendError, FatalBackendError
from index.fields import (EXACT_TITLE_BOOST, FIELDED, FOLD_FACTOR, FOLDED, FREE_TEXT_BOOSTS,
                          IDENTIFIER_BOOST, flatten)
from index.query import (Facet, FacetValue, Filter, Hit, Query, Range, Result, bucket_key, cut_facet,
                         group_hits)

SORTS = {"relevance": "score desc,rank desc,sort_title asc", "newest": "sort_newest asc",
         "title": "sort_title asc"}


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


class SolrBackend(SearchBackend):
    name = "solr"

    def __init__(self, url: str, *, timeout: float = 60, facet_cache_seconds: float = 30.0):
        self.url = url.rstrip("/")
        self.facet_cache = FacetCache(facet_cache_seconds)
        self.solr = pysolr.Solr(self.url, always_commit=False, timeout=timeout)

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except pysolr.SolrError as exc:
            message = str(exc)
            if message.startswith("Failed to connect") or "timed out" in message:
                raise BackendError(f"Solr at {self.url} unreachable during {what}: {message[:300]}") from exc
            if "undefined field" in message or "Not Found" in message or "404" in message:
                raise FatalBackendError(f"Solr at {self.url} rejected {what}: {message[:300]} "
                                        "(run `grenselos solr init`?)") from exc
            raise BackendError(f"Solr at {self.url} failed on {what}: {message[:300]}") from exc
        except requests.RequestException as exc:
            raise BackendError(f"Solr at {self.url} unreachable during {what}: {exc}") from exc

    # -- writing ------------------------------------------------------------------------------

    @staticmethod
    def to_solr(doc: Document) -> dict:
        values = flatten(doc)
        values["record_id"] = doc.id
        values["id"] = solr_id(doc.id, doc.work_id)
        return values

    def add(self, docs: Sequence[Document]) -> None:
        if docs:
            self._call("add", self.solr.add, [self.to_solr(d) for d in docs], commit=False)

    def delete(self, keys: Iterable[tuple[str, str]]) -> None:
        ids = [solr_id(record_id, work_id) for record_id, work_id in keys]
        for start in range(0, len(ids), 500):
            self._call("delete", self.solr.delete, id=ids[start:start + 500], commit=False)

    def commit(self) -> None:
        self._call("commit", self.solr.commit, waitSearcher=True)
        self.facet_cache.clear()

    def clear(self) -> None:
        self._call("delete", self.solr.delete, q="*:*", commit=False)
        self.commit()

    def count(self) -> int:
        return self._call("count", self.solr.search, "*:*", rows=0).hits

    def ping(self) -> bool:
        try:
            self.solr.ping()
            return True
        except (pysolr.SolrError, requests.RequestException):
            return False

    # -- queries ------------------------------------------------------------------------------

    def params(self, query: Query) -> tuple[str, dict]:
        """The Solr request for a query (public so that tests and the bench can inspect it)."""
        p: dict = {"fl": "id,record_id,work_id,doc,score", "fq": [], "sort": SORTS[query.sort],
                   "start": query.offset, "rows": query.limit}
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
            p["sort"] = "rank desc,sort_title asc"
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
                clause = f"{f.field}:(" + " OR ".join(quote(v) for v in f.values) + ")"
                p["fq"].append(("-" if f.exclude else "") + clause)
        if query.facets:
            p.update({"facet": "true", "facet.mincount": 1, "facet.field": [], "facet.query": []})
            for n, facet in enumerate(query.facets):
                if isinstance(facet, Facet):
                    p["facet.field"].append(facet.field)
                    p[f"f.{facet.field}.facet.limit"] = -1 if facet.always else facet.limit + 20
                else:
                    for i, (lo, hi) in enumerate(facet.buckets):
                        lo_s = "*" if lo is None else lo
                        hi_s = "*" if hi is None else hi
                        p["facet.query"].append(f"{{!key=r{n}_{i}}}{facet.field}:[{lo_s} TO {hi_s}]")
        if query.group:
            p.update({"group": "true", "group.field": "work_id", "group.limit": query.group_limit,
                      "group.ngroups": "true", "group.sort": p["sort"]})
        return q, p

    def search(self, query: Query) -> Result:
        query.validate()
        cached = self.facet_cache.get(query)
        q, params = self.params(dataclasses.replace(query, facets=()) if cached is not None else query)
        raw = self._call("search", self.solr.search, q, **params)
        relevance = query.sort == "relevance"

        def hit(d) -> Hit:
            doc = Document.from_json(d["doc"])
            return Hit(doc.id, doc.work_id, float(d["score"]) if relevance and "score" in d else None, doc)

        if query.group:
            grouped = raw.grouped["work_id"]
            hits, counts = [], {}
            for g in grouped["groups"]:
                editions = [hit(d) for d in g["doclist"]["docs"]]
                hits += editions
                counts[g["groupValue"]] = g["doclist"]["numFound"]
            result = Result(total=grouped["matches"], groups=group_hits(hits, counts, query.group_limit),
                            total_groups=grouped.get("ngroups"))
        else:
            result = Result(total=raw.hits, hits=[hit(d) for d in raw.docs])
        if cached is None:
            cached = self._facets(raw, query)
            self.facet_cache.put(query, cached)
        result.facets = cached
        return result

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
