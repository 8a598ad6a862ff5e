"""The graph store: embedded Oxigraph on disk, one named graph per source record.

Because every record's triples live in their own named graph (`{base}/graph/{source}-{record_id}`),
a changed record replaces exactly its triples and a deleted one removes exactly its triples, with no
bookkeeping of which triple came from where. Works get a graph of their own
(`{base}/graph/work-{cluster}`) holding what no single record can say: `bf:hasInstance` for every
member and `bf:translationOf` to the original's work. Queries see the union of all graphs as the
default graph.

Oxigraph allows one writing process per directory; readers (search indexer, portal) open it
read-only with `GraphStore.open(..., read_only=True)`. The stages do not write it themselves: they add
rows to the graph outbox (`transform.graph_outbox`), which one process applies here under the writer lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from pyoxigraph import NamedNode, RdfFormat, Store, Triple, parse

BF = "http://id.loc.gov/ontologies/bibframe/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BF_WORK = NamedNode(BF + "Work")
HAS_INSTANCE = NamedNode(BF + "hasInstance")
INSTANCE_OF = NamedNode(BF + "instanceOf")
TRANSLATION_OF = NamedNode(BF + "translationOf")
BULK_FROM = 5000          # quads in one load from which the bulk writer is used
BULK_BYTES = 1_000_000    # N-Quads bytes from which the bulk loader is used (about `BULK_FROM` quads)


def nquads(graphs: Mapping[NamedNode, Iterable]) -> bytes:
    """The graphs as N-Quads text: each term prints itself (Triples or (s, p, o) tuples of terms). A term
    prints in under a microsecond, while building a `Quad` from Python costs about 3 µs (a record has ~160
    triples); the terms were checked when they were made, so the loader need not check them again."""
    lines: list[str] = []
    for g, triples in graphs.items():
        tail = f" {g} .\n"
        lines += [f"{s} {p} {o}{tail}" for s, p, o in triples]
    return "".join(lines).encode("utf-8")


class GraphStore:
    def __init__(self, path: Path | str | None, base_uri: str, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        self.base_uri = base_uri.rstrip("/")
        if self.path is None:
            self._store = Store()
        elif read_only:
            self._store = Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self._store = Store(str(self.path))
        self.read_only = read_only

    @classmethod
    def open(cls, settings, read_only: bool = False) -> "GraphStore":
        return cls(Path(settings.data_dir) / "graph", settings.base_uri, read_only=read_only)

    def close(self) -> None:
        """Flush and let go of the directory (Oxigraph releases its lock when the store is dropped)."""
        if self._store is not None and not self.read_only:
            self._store.flush()
        self._store = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("graph store is closed")
        return self._store

    # -- names ---------------------------------------------------------------------------------

    def record_graph(self, source: str, record_id: str) -> NamedNode:
        return NamedNode(f"{self.base_uri}/graph/{source}-{record_id}")

    def work_graph(self, cluster_id: str) -> NamedNode:
        return NamedNode(f"{self.base_uri}/graph/work-{cluster_id}")

    def work_uri(self, cluster_id: str) -> NamedNode:
        return NamedNode(f"{self.base_uri}/work/{cluster_id}")

    def instance_uri(self, source: str, record_id: str) -> NamedNode:
        return NamedNode(f"{self.base_uri}/instance/{source}-{record_id}")

    # -- writing -------------------------------------------------------------------------------

    def replace(self, graphs: Mapping[NamedNode, Iterable[Triple | tuple]]) -> int:
        """Replace whole named graphs: old triples of each go, the given ones (Triples or (s, p, o)
        tuples of terms) come in. Returns triples written.

        The drops run as one SPARQL update, then the inserts as N-Quads text (`load_nquads`). A crash in
        between leaves graphs empty or partial that the next run (whose state was not yet committed) drops
        and writes again.
        """
        if not graphs:
            return 0
        self._drop(list(graphs))
        data = nquads(graphs)
        self.load_nquads(data)
        return data.count(b"\n")

    def load_nquads(self, data: bytes) -> None:
        """Load N-Quads text printed from terms (`nquads`), without a Python object per quad. Bulk from
        `BULK_BYTES`: not atomic, but safe, since every writer drops the graphs first and records its
        work as done only afterwards, so a half-written load is redone whole. Text with blank nodes goes
        through `parse`, which keeps their labels (a load renames them)."""
        if not data:
            return
        if b"_:" in data:
            quads = list(parse(data, format=RdfFormat.N_QUADS))
            if len(quads) >= BULK_FROM:
                self.store.bulk_extend(quads)
            else:
                self.store.extend(quads)
        elif len(data) >= BULK_BYTES:
            self.store.bulk_load(data, format=RdfFormat.N_QUADS, lenient=True)
        else:
            self.store.load(data, format=RdfFormat.N_QUADS, lenient=True)

    def remove(self, names: Iterable[NamedNode]) -> int:
        """Remove named graphs entirely; returns how many existed."""
        names = [n for n in names if self.store.contains_named_graph(n)]
        self._drop(names)
        return len(names)

    def _drop(self, names: list[NamedNode]) -> None:
        for start in range(0, len(names), 200):
            chunk = names[start:start + 200]
            self.store.update(" ; ".join(f"DROP SILENT GRAPH <{n.value}>" for n in chunk))

    def replace_record(self, source: str, record_id: str, triples: Iterable[Triple]) -> int:
        return self.replace({self.record_graph(source, record_id): list(triples)})

    def remove_record(self, source: str, record_id: str) -> bool:
        return bool(self.remove([self.record_graph(source, record_id)]))

    def work_triples(self, cluster_id: str, instances: Iterable[NamedNode],
                     translation_of: str | None = None) -> list[Triple]:
        """The aggregate a work graph holds: its type, its instances, its original if a translation."""
        work = self.work_uri(cluster_id)
        out = [Triple(work, RDF_TYPE, BF_WORK)]
        for instance in sorted(instances, key=lambda n: n.value):
            out.append(Triple(work, HAS_INSTANCE, instance))
            out.append(Triple(instance, INSTANCE_OF, work))
        if translation_of:
            out.append(Triple(work, TRANSLATION_OF, self.work_uri(translation_of)))
        return out

    def clear(self) -> None:
        self.store.clear()

    def flush(self) -> None:
        self.store.flush()

    # -- reading -------------------------------------------------------------------------------

    def record_triples(self, source: str, record_id: str) -> list[Triple]:
        """The triples of one record's named graph (its description), in no particular order: what the
        search index projects a document from (`index.projection`). Empty when the graph does not exist."""
        graph = self.record_graph(source, record_id)
        return [q.triple for q in self.store.quads_for_pattern(None, None, None, graph)]

    def graph_for(self, source: str, record_id: str) -> list[Triple]:
        """The triples converted from one source record, in a stable order."""
        return sorted(self.record_triples(source, record_id), key=str)

    def work_graph_triples(self, cluster_id: str) -> list[Triple]:
        graph = self.work_graph(cluster_id)
        return sorted((Triple(q.subject, q.predicate, q.object)
                       for q in self.store.quads_for_pattern(None, None, None, graph)), key=str)

    def has_graph(self, name: NamedNode) -> bool:
        return self.store.contains_named_graph(name)

    def query(self, sparql: str, **kwargs):
        """SPARQL 1.1 query over the union of every graph (the default graph is the union)."""
        kwargs.setdefault("use_default_graph_as_union", True)
        return self.store.query(sparql, **kwargs)

    def counts(self) -> dict[str, int]:
        """Named graphs (records and works) and triples; cheap enough for `status`."""
        prefix = f"{self.base_uri}/graph/work-"
        records = works = 0
        for name in self.store.named_graphs():
            if name.value.startswith(prefix):
                works += 1
            else:
                records += 1
        return {"record_graphs": records, "work_graphs": works, "triples": len(self.store)}
