"""Does the search index hold what the truth says it should? Documents per source, in the engine itself.

An emptied or restored Solr collection, or a lost tantivy directory, used to leave `run` and `status`
saying "ok" while search was silently empty: the indexer's own bookkeeping (`index_state`) said every
document had been sent. So the count that matters is asked of the engine (a facet on `source`) and set
against the records the transform stage converted (`transform_records`, status ok), or, before it has run,
the live bibliographic records.
"""

from __future__ import annotations

from sqlalchemy import func, inspect as sa_inspect, select

from harvest.tables import records
from index.query import Facet, Query


def expected_documents(engine) -> dict[str, int]:
    if sa_inspect(engine).has_table("transform_records"):
        from transform.tables import transform_records as t
        query = select(t.c.source, func.count()).where(t.c.status == "ok").group_by(t.c.source)
    else:
        query = select(records.c.source, func.count()).where(
            records.c.record_type == "bib", records.c.deleted.is_(False),
            records.c.marcxml.is_not(None)).group_by(records.c.source)
    with engine.connect() as conn:
        return {source: int(n) for source, n in conn.execute(query)}


def indexed_documents(backend, sources) -> dict[str, int]:
    result = backend.search(Query(limit=0, facets=(Facet("source", limit=max(10, len(sources) + 10)),)))
    return {v.value: v.count for v in result.facets.get("source", [])}


def difference(engine, backend, sources) -> dict[str, dict[str, int]]:
    """{source: {"expected": n, "indexed": m}} for every source where the two differ."""
    expected = expected_documents(engine)
    indexed = indexed_documents(backend, sources)
    out = {}
    for source in sorted(set(expected) | set(indexed) | set(sources)):
        e, i = expected.get(source, 0), indexed.get(source, 0)
        if e != i:
            out[source] = {"expected": e, "indexed": i}
    return out


def pending_changes(engine, since) -> dict[str, tuple[int, object]]:
    """The index's outbox: {source: (changed rows, oldest change)} written after `since` (the last completed
    index run; None: never indexed) — converted records and copies, whose `updated_at` the applier follows."""
    from transform.copies import copies
    from transform.tables import transform_records
    out: dict[str, list] = {}
    tables = set(sa_inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in (transform_records, copies):
            if table.name not in tables:
                continue
            query = select(table.c.source, func.count(), func.min(table.c.updated_at)).group_by(table.c.source)
            if since is not None:
                query = query.where(table.c.updated_at > since.replace(tzinfo=None)
                                    if engine.dialect.name == "sqlite" else table.c.updated_at > since)
            for source, n, oldest in conn.execute(query):
                entry = out.setdefault(source, [0, None])
                entry[0] += int(n)
                if oldest is not None and (entry[1] is None or oldest < entry[1]):
                    entry[1] = oldest
    return {s: (n, oldest) for s, (n, oldest) in out.items()}
