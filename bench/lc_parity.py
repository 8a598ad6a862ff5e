"""Side by side with the Library of Congress converter (marc2bibframe2 v2.10.0 XSLT, run through lxml)
on LC's own 949 records in ../shared/data/marcxml-lc: speed, triples per record, peak memory, and the
construct counts of `grenselos convert --stats` for both outputs.

LC's stylesheets are not part of this repository: they are fetched into /tmp at bench time
(`git clone --branch v2.10.0 https://github.com/lcnetdev/marc2bibframe2`), or read from --xsl-dir.

    .venv/bin/python bench/lc_parity.py [--data DIR] [--xsl-dir /tmp/marc2bibframe2]
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
import pymarc  # noqa: E402
import pyoxigraph  # noqa: E402

from transform import construct_stats  # noqa: E402
from transform.convert import ConvertContext, Converter, expand_paths  # noqa: E402
from transform.marcfiles import read_file  # noqa: E402

LC_TAG = "v2.10.0"
MARC_NS = "http://www.loc.gov/MARC21/slim"


def ensure_xsl(xsl_dir: Path) -> Path:
    sheet = xsl_dir / "xsl" / "marc2bibframe2.xsl"
    if not sheet.exists():
        subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", LC_TAG,
                        "https://github.com/lcnetdev/marc2bibframe2", str(xsl_dir)], check=True)
    return sheet


def lc_files(data: Path) -> list[Path]:
    return expand_paths([data])


def run_lc(sheet: Path, files: list[Path], base: str):
    """Each record through LC's XSLT on its own (a crash costs that record only), counted as it goes."""
    transform = etree.XSLT(etree.parse(str(sheet)))
    tally = construct_stats.Tally(base)
    done = failed = 0
    start = time.perf_counter()
    for path in files:
        root = etree.parse(str(path)).getroot()
        records = root.iter(f"{{{MARC_NS}}}record") if root.tag != f"{{{MARC_NS}}}record" else [root]
        for rec in records:
            coll = etree.Element(f"{{{MARC_NS}}}collection", nsmap={None: MARC_NS})
            coll.append(_copy(rec))
            try:
                out = transform(etree.ElementTree(coll), baseuri=etree.XSLT.strparam(base + "/"))
                triples = list(pyoxigraph.parse(etree.tostring(out), format=pyoxigraph.RdfFormat.RDF_XML))
            except Exception:  # LC's converter fails on some records (261 $d/$f); count them
                failed += 1
                continue
            tally.add(triples)
            done += 1
    return done, failed, time.perf_counter() - start, tally.result()


def _copy(el):
    return etree.fromstring(etree.tostring(el))


def run_ours(files: list[Path], base: str):
    converter = Converter(base)
    tally = construct_stats.Tally(base)
    done = failed = 0
    start = time.perf_counter()
    for path in files:
        for item in read_file(path):
            if item.record is None:
                failed += 1
                continue
            try:
                result = converter.convert(item.record, ConvertContext("lc", item.record_id()))
            except Exception:
                failed += 1
                continue
            pyoxigraph.serialize(result.triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
            tally.add(result.triples)
            done += 1
    return done, failed, time.perf_counter() - start, tally.result()


def run_pymarc(files: list[Path]):
    start = time.perf_counter()
    n = 0
    for path in files:
        for rec in pymarc.parse_xml_to_array(io.BytesIO(path.read_bytes())):
            n += rec is not None
    return n, time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "marcxml-lc")
    ap.add_argument("--xsl-dir", type=Path, default=Path("/tmp/marc2bibframe2"))
    ap.add_argument("--base", default="http://example.org")
    args = ap.parse_args(argv)
    files = lc_files(args.data)
    sheet = ensure_xsl(args.xsl_dir)

    n_py, t_py = run_pymarc(files)
    tracemalloc.start()
    ours = run_ours(files, args.base)
    ours_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    lc = run_lc(sheet, files, args.base)
    lc_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"records: {len(files)} files; pymarc parsed {n_py}")
    print(f"{'':<10}{'records':>8}{'failed':>8}{'rec/s':>9}{'triples/rec':>13}{'peak MB':>9}")
    print(f"{'pymarc':<10}{n_py:>8}{0:>8}{n_py / t_py:>9.0f}{'':>13}{'':>9}")
    for name, (done, failed, secs, counts), peak in (("grenselos", ours, ours_peak), ("LC XSLT", lc, lc_peak)):
        print(f"{name:<10}{done:>8}{failed:>8}{done / secs:>9.0f}{counts['triples'] / max(done, 1):>13.1f}"
              f"{peak / 1e6:>9.1f}")
    ratio = (ours[0] / ours[2]) / (lc[0] / lc[2])
    print(f"speed ratio grenselos / LC: {ratio:.1f}x (must stay >= 5x)")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print()
    print(construct_stats.table(ours[3], lc[3]), end="")
    return 0 if ratio >= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
