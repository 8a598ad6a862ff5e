"""Index benchmark: build rate (documents/s) into tantivy and Solr side by side, then the time to
re-index 1,000 changed records through the incremental indexer, and peak memory.

    .venv/bin/python bench/index.py [--docs 100000] [--base 100000] [--backends tantivy,solr]
                                    [--solr-url http://127.0.0.1:18983/solr] [--batch 20000]
                                    [--commit-every 200000]

Documents come from the real Library of Congress records (bench/search_corpus.py), derived into
works with editions across the county's libraries. Solr defaults to $GRENSELOS_TEST_SOLR_URL
(`. scripts/services.sh && start_solr`); a core `bench_<docs>` is created and kept for bench/search.py,
as is the tantivy index in bench/out/tantivy-<docs>/.

Documents stream from the cached LC documents through the indexer in batches of --batch, so peak memory
does not depend on --docs; tantivy commits every --commit-every documents (Solr every batch).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_corpus import ROOT, documents  # noqa: E402

from core import db  # noqa: E402
from index.indexer import Indexer  # noqa: E402

OUT = ROOT / "bench" / "out"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jvm_peak_mb(solr_dir: str) -> str:
    pid_file = Path(solr_dir) / "standalone.pid"
    try:
        pid = pid_file.read_text().strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return f"{int(line.split()[1]) / 1024:.0f} MB (JVM, -Xmx1g)"
    except OSError:
        pass
    return "n/a"


def open_backend(kind: str, args, fresh: bool):
    if kind == "tantivy":
        from index.tantivy_backend import TantivyBackend
        path = OUT / f"tantivy-{args.docs}"
        if fresh and path.exists():
            shutil.rmtree(path)
        return TantivyBackend(path, writer_heap=512_000_000, writer_threads=2)
    from index import solr_admin
    from index.solr_backend import SolrBackend
    url = f"{args.solr_url.rstrip('/')}/bench_{args.docs}"
    if fresh:
        try:
            solr_admin.drop(url)
        except Exception:  # noqa: BLE001 - nothing to drop on the first run
            pass
    solr_admin.init(url)
    return SolrBackend(url, timeout=600)


def run(kind: str, args) -> dict:
    state = OUT / f"state-{kind}-{args.docs}.sqlite"
    state.unlink(missing_ok=True)
    engine = db.engine_for(f"sqlite:///{state}")
    db.migrate(engine)
    backend = open_backend(kind, args, fresh=True)
    indexer = Indexer(engine, backend, kind, batch=args.batch,
                      commit_every=args.commit_every if kind == "tantivy" else 0)
    docs = documents(args.docs, args.base)
    t0, cpu0, main0 = time.perf_counter(), time.process_time(), time.thread_time()
    summary = indexer.run(docs, complete=True)
    build = time.perf_counter() - t0
    cpu, main_cpu = time.process_time() - cpu0, time.thread_time() - main0
    assert summary.failed is None, summary.failed
    count = backend.count()

    # 1,000 changed records (new holdings / availability / title fix), re-indexed incrementally
    changed = [dataclasses.replace(doc, title=doc.title + " (rev.)", work_libraries=doc.work_libraries + 1)
               for doc in documents(args.changed, args.base)]
    t1 = time.perf_counter()
    again = Indexer(engine, backend, kind, batch=args.batch).run(changed)
    incremental = time.perf_counter() - t1
    backend.close()
    engine.dispose()
    return {"backend": kind, "docs": count, "build_s": build, "rate": summary.indexed / build,
            "changed": again.indexed, "changed_s": incremental, "cpu": cpu, "main_cpu": main_cpu}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--base", type=int, default=100_000, help="Real LC records the documents derive from.")
    p.add_argument("--backends", default="tantivy,solr")
    p.add_argument("--solr-url", default=os.environ.get("GRENSELOS_TEST_SOLR_URL", ""))
    p.add_argument("--batch", type=int, default=20_000)
    p.add_argument("--changed", type=int, default=1000)
    p.add_argument("--commit-every", type=int, default=200_000, help="tantivy: documents per commit.")
    args = p.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    # parse the real records first, so the build rate measures indexing, not MARC parsing
    t = time.perf_counter()
    from search_corpus import cache_file
    cache = cache_file(min(args.base, args.docs))
    print(f"base documents: {min(args.base, args.docs)} from LC records ({cache.name}) in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    rows = []
    for kind in args.backends.split(","):
        if kind == "solr" and not args.solr_url:
            print("bench: no Solr URL (set GRENSELOS_TEST_SOLR_URL or --solr-url); Solr skipped")
            continue
        rows.append(run(kind, args))
        r = rows[-1]
        print(f"{r['backend']:8} {r['docs']:>9} docs  build {r['build_s']:7.1f} s  {r['rate']:8.0f} docs/s  "
              f"{r['changed']} changed re-indexed in {r['changed_s']:.2f} s", flush=True)
        # On a shared machine the wall time says little; the CPU time does not depend on the load: the
        # main thread (deriving documents, fields, state) and every thread (with tantivy's indexing and
        # merges, or only the client's part for Solr). On 2 idle cores the build takes about the larger
        # of the main thread's time and half the whole.
        print(f"{'':8} CPU: {r['cpu']:.1f} s in all threads, {r['main_cpu']:.1f} s in the main thread; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"peak memory (this process, incl. tantivy's 512 MB writer heap): {peak_mb():.0f} MB; Solr: "
          f"{jvm_peak_mb(os.environ.get('GRENSELOS_SOLR_DIR', '/tmp/grenselos-solr-18983'))}")


if __name__ == "__main__":
    main()
