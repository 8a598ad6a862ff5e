"""`grenselos dump`: gzipped N-Triples of the whole dataset and of each source, for bulk consumers.

Oxigraph writes each named graph straight into the gzip stream (`Store.dump(..., from_graph=g)`), so
memory stays flat however large the dataset is: nothing but one graph's triples is ever in flight.
Each file is written to a temporary name and renamed into place, so `/dumps/` never serves half a
file; `manifest.json` beside them records triples, bytes, SHA-256 and time for the VoID/DCAT
description. The whole-dataset dump holds every graph (records, works, libraries); a triple that
several graphs share (an agent's label) appears once per graph, which N-Triples allows. Records whose
licence forbids republication never reach the graph store (`vocab.licences.publishable`), and a source
of them gets no dump file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from pyoxigraph import RdfFormat

from transform.graphstore import GraphStore
from vocab import licences

ALL = "all"
MANIFEST = "manifest.json"


@dataclass
class DumpFile:
    name: str                 # file name inside the dumps folder
    subset: str               # "all" or a source id
    graphs: int
    triples: int
    bytes: int
    sha256: str
    generated: str
    seconds: float


class _Counting:
    """A binary sink that counts N-Triples lines as Oxigraph writes them into the gzip stream."""

    def __init__(self, raw):
        self.raw, self.lines = raw, 0

    def write(self, data) -> int:
        self.lines += bytes(data).count(b"\n")
        return self.raw.write(data)

    def flush(self):
        self.raw.flush()


def dumps_dir(settings) -> Path:
    return Path(settings.data_dir) / "dumps"


def file_name(subset: str) -> str:
    return f"{subset}.nt.gz"


def _write(graph: GraphStore, target: Path, subset: str, names) -> DumpFile:
    started = time.monotonic()
    tmp = target.with_name(target.name + ".tmp")
    count = 0
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
        sink = _Counting(gz)
        for name in names:
            graph.store.dump(sink, RdfFormat.N_TRIPLES, from_graph=name)
            count += 1
    os.replace(tmp, target)
    digest = hashlib.sha256()
    with open(target, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return DumpFile(target.name, subset, count, sink.lines, target.stat().st_size, digest.hexdigest(),
                    datetime.now(timezone.utc).isoformat(timespec="seconds"), round(time.monotonic() - started, 3))


def write_dumps(settings, graph: GraphStore | None = None, sources=None, whole: bool = True) -> list[DumpFile]:
    """Write the whole-dataset dump and one per source; returns what was written (also in the manifest)."""
    own = graph is None
    graph = graph or GraphStore.open(settings, read_only=True)
    out_dir = dumps_dir(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        source_ids = list(sources) if sources else [s.id for s in settings.sources]
        withheld = [s for s in source_ids if not licences.publishable(settings, s)]
        source_ids = [s for s in source_ids if s not in withheld]
        if whole:
            written.append(_write(graph, out_dir / file_name(ALL), ALL, graph.store.named_graphs()))
        for source_id in withheld:          # never a dump of records not licensed for republication
            (out_dir / file_name(source_id)).unlink(missing_ok=True)
        for source_id in source_ids:
            prefix = f"{graph.base_uri}/graph/{source_id}-"
            longer = tuple(f"{graph.base_uri}/graph/{s.id}-" for s in settings.sources
                           if s.id.startswith(source_id + "-"))     # source "a" must not take "a-b"'s graphs
            names = (n for n in graph.store.named_graphs()
                     if n.value.startswith(prefix) and not (longer and n.value.startswith(longer)))
            written.append(_write(graph, out_dir / file_name(source_id), source_id, names))
    finally:
        if own:
            graph.close()
    manifest = read_manifest(settings)
    manifest.update({d.subset: asdict(d) for d in written})
    for source_id in withheld:
        manifest.pop(source_id, None)
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
    return written


def read_manifest(settings) -> dict:
    path = dumps_dir(settings) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
