"""Does the graph store hold what the SQL truth says it should? Per source, and repaired on request.

The record store and the transform tables are the truth; the graph store is a projection of them that
can be lost (a disk, a restore from an older backup, a crash between the SQL commit and the store's
flush). `difference` compares the record graphs present with the records converted `ok`; `repair` drops
graphs nobody owns and marks the missing ones for conversion, so the next incremental transform (`grenselos
run` does it at once) writes them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from transform.tables import transform_records
from vocab import licences

CHUNK = 500
#: Named graphs that are not record graphs (see transform.library_graph, transform.statistics).
SPECIAL = ("graph/libraries", "graph/statistics")


@dataclass
class GraphDifference:
    expected: dict[str, int] = field(default_factory=dict)       # source -> record graphs the truth wants
    present: dict[str, int] = field(default_factory=dict)        # source -> those of them in the store
    missing: list[tuple[str, str]] = field(default_factory=list)  # (source, identifier)
    extra: list[str] = field(default_factory=list)               # graph names nobody owns

    @property
    def agrees(self) -> bool:
        return not self.missing and not self.extra


def difference(engine, graph, settings=None) -> GraphDifference:
    """With `settings`, the graphs of sources whose licence forbids republication are not wanted: a
    graph of theirs left from before the licence was declared counts as extra, and repair drops it."""
    base = graph.base_uri
    work_prefix = f"{base}/graph/work-"
    special = {f"{base}/{name}" for name in SPECIAL}
    names = {n.value for n in graph.store.named_graphs()}
    out = GraphDifference()
    wanted: set[str] = set()
    with engine.connect() as conn:
        for r in conn.execute(select(transform_records.c.source, transform_records.c.identifier,
                                     transform_records.c.record_id).where(transform_records.c.status == "ok")):
            if settings is not None and not licences.publishable(settings, r.source):
                continue
            name = graph.record_graph(r.source, r.record_id).value
            wanted.add(name)
            out.expected[r.source] = out.expected.get(r.source, 0) + 1
            if name in names:
                out.present[r.source] = out.present.get(r.source, 0) + 1
            else:
                out.missing.append((r.source, r.identifier))
    out.extra = sorted(n for n in names if n not in wanted and n not in special and not n.startswith(work_prefix))
    return out


def repair(engine, graph, found: GraphDifference) -> int:
    """Drop graphs nobody owns; mark missing records for conversion. Returns how many things it fixed."""
    from pyoxigraph import NamedNode
    if found.extra:
        graph.remove([NamedNode(n) for n in found.extra])
    by_source: dict[str, list[str]] = {}
    for source, identifier in found.missing:
        by_source.setdefault(source, []).append(identifier)
    with engine.begin() as conn:
        for source, identifiers in by_source.items():
            for start in range(0, len(identifiers), CHUNK):
                conn.execute(update(transform_records).where(
                    transform_records.c.source == source,
                    transform_records.c.identifier.in_(identifiers[start:start + CHUNK])).values(checksum=None))
    return len(found.extra) + len(found.missing)
