"""One record's conversion as plain data, in this process or in worker processes (`[transform] workers`).

Once a batch is clustered, what each record still needs is its own business: convert, detect languages,
add overlay provenance, count statistics facts, read copies, pack the description, print its graph as
N-Quads. `convert_record` does all of it and returns only text, bytes and plain values (`Converted`),
so the same function serves the serial path and the pool, and a result crosses a process boundary at
the price of a string (pickling pyoxigraph terms costs about 4 µs a triple; a record has ~160).

`ConversionPool` forks its workers once the converter, the vocabularies and the library directory are
loaded, so a worker starts in milliseconds and shares those pages with the parent. Workers never touch
SQL or the graph store: the parent sends each record's stored MARC text (and its holdings records') and
keeps every read and write. A worker that dies takes only its own chunk with it: those records come back
as errors (the caller quarantines them, naming the record and the cause) and the rest of the run converts
in this process, so nothing hangs and no further process is forked beside a running writer thread.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from core.clock import now
from harvest.marcdata import from_stored
from transform import descriptions, language_detection, language_graph, languages_store, overlays
from transform import statistics as stats
from transform.graphstore import graph_lines
from transform.holdings import read_items
from vocab import libraries as libraries_vocab

#: Workers when `[transform] workers` is 0 (automatic): one CPU fewer than there are, at most this many.
#: The transforming process keeps about one core busy itself (reading, clustering, SQL, and the thread
#: writing Oxigraph); on two cores a worker pool measured slower than none (bench/transform.py, README).
MOST_WORKERS = 4


@dataclass
class Converted:
    """What the batch keeps of one record's conversion (`error` set: nothing else is)."""
    nquads: str = ""                 # the record's graph, as N-Quads lines
    packed: bytes = b""              # transform.descriptions.pack
    triples: int = 0
    facts: list = field(default_factory=list)
    copies: list = field(default_factory=list)
    language: dict | None = None     # a language_detections row, when detection ran
    error: str | None = None


def workers_for(settings) -> int:
    """`[transform] workers`, 0 meaning one fewer than the CPUs this process may use, at most MOST_WORKERS."""
    wanted = settings.transform.workers
    if wanted:
        return wanted
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:            # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus - 1, MOST_WORKERS))


def convert_record(settings, converter, source, identifier: str, record_id: str, record, work: str,
                   holdings: tuple[str, ...], graph: str, overlay: tuple | None = None) -> Converted:
    """Convert one record (parsed MARC; its holdings records as stored MARC text) into a `Converted`."""
    from transform.convert import ConvertContext
    try:
        parsed_holdings = tuple(from_stored(h) for h in holdings)
        ctx = ConvertContext(source.id, record_id, isil=source.isil, holdings_profile=source.holdings,
                             work_id=work, holdings=parsed_holdings,
                             directory=libraries_vocab.directory(settings))
        conversion = converter.convert(record, ctx)
        triples = list(conversion.terms)          # (s, p, o) tuples: see Conversion.triples
        language = None
        found = language_detection.check(record, conversion.languages, source)
        if found is not None:   # no usable code, or signs of another language: detect, keep, mark in the graph
            reason, langs = found
            triples += map(tuple, language_graph.detected_triples(conversion.instance_uri, conversion.work_uri,
                                                                   langs))
            language = languages_store.row_for(source.id, identifier, reason, langs, now())
        if overlay is not None:                   # which fields came from where, by which library, when
            applied, sources, agents = overlay
            triples += map(tuple, overlays.provenance_triples(conversion.instance_uri, applied, sources, agents))
        facts = stats.record_facts(triples, settings.base_uri)
        # a shared digital resource is licensed, not shelved: whatever holdings fields its records carry, no copies
        copies = read_items(record, source.holdings, parsed_holdings) if source.kind != "digital" else []
        return Converted(graph_lines(graph, triples), descriptions.pack(triples), len(triples), facts, copies,
                         language)
    except Exception as exc:  # noqa: BLE001 - one bad record never stops the batch
        return Converted(error=f"conversion failed: {type(exc).__name__}: {exc}")


# -- the pool ------------------------------------------------------------------------------------------

_WORKER: dict = {}


def _start(settings, converter, engine) -> None:
    """In a new worker: keep the parent's settings and converter; leave its database connections alone
    (SQLAlchemy's advice for a fork) and Ctrl-C to the parent, which shuts the pool down. What the worker
    inherited lives as long as it does: out of the collector's scans, as in `pipeline.fewer_collections`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()
    gc.set_threshold(max(gc.get_threshold()[0], 50_000), *gc.get_threshold()[1:])
    if engine is not None:
        engine.dispose(close=False)
    _WORKER.update(settings=settings, converter=converter)


def _convert_chunk(source_id: str, jobs: list[tuple]) -> list[Converted]:
    settings, converter = _WORKER["settings"], _WORKER["converter"]
    source = settings.source(source_id)
    out = []
    for identifier, record_id, marc, work, holdings, graph in jobs:
        try:
            record = from_stored(marc)
        except Exception as exc:  # noqa: BLE001 - the parent read it already; report rather than die
            out.append(Converted(error=f"conversion failed: {type(exc).__name__}: {exc}"))
            continue
        out.append(convert_record(settings, converter, source, identifier, record_id, record, work, holdings,
                                  graph))
    return out


class ConversionPool:
    """`workers` forked processes converting chunks of a batch; `convert` returns results in job order."""

    def __init__(self, settings, converter, workers: int, engine=None):
        self.workers = workers
        self.broken: str | None = None           # why the pool stopped, once a worker died
        self._executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start, initargs=(settings, converter, engine))
        self._executor.submit(int).result()      # fork every worker now, before the caller starts threads

    def convert(self, source_id: str, jobs: list[tuple]) -> list[Converted]:
        """Jobs are (identifier, record_id, stored MARC text, work, holdings MARC texts, graph IRI in <>)."""
        size = max(1, -(-len(jobs) // (self.workers * 2)))   # two chunks a worker: an uneven chunk evens out
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        futures = [self._executor.submit(_convert_chunk, source_id, chunk) for chunk in chunks]
        out: list[Converted] = []
        for future, chunk in zip(futures, chunks):
            try:
                out += future.result()
            except Exception as exc:  # noqa: BLE001 - a worker died (BrokenProcessPool) or could not pickle
                self.broken = f"{type(exc).__name__}: {exc}"
                out += [Converted(error=f"conversion failed: the worker process converting it stopped "
                                        f"({self.broken})") for _ in chunk]
        return out

    def close(self) -> None:
        """Let the workers finish and exit (none is left behind, also after an error)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
