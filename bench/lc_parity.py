"""Side by side with the Library of Congress converter (marc2bibframe2 v2.10.0 XSLT, run through lxml)
on LC's own 949 records in ../shared/data/marcxml-lc: speed (records per CPU second, each converter in a
process of its own), triples per record, peak memory, and the construct counts of `grenselos convert --stats` for both outputs.

LC's stylesheets are not part of this repository: they are fetched into /tmp at bench time
(`git clone --branch v2.10.0 https://github.com/lcnetdev/marc2bibframe2`), or read from --xsl-dir.

    .venv/bin/python bench/lc_parity.py [--data DIR] [--xsl-dir /tmp/marc2bibframe2]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
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
    start = time.process_time()
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
    return done, failed, time.process_time() - start, tally.result()


def _copy(el):
    return etree.fromstring(etree.tostring(el))


def run_ours(files: list[Path], base: str):
    converter = Converter(base)
    tally = construct_stats.Tally(base)
    done = failed = 0
    start = time.process_time()
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
    return done, failed, time.process_time() - start, tally.result()


def run_pymarc(files: list[Path]):
    start = time.process_time()
    n = 0
    for path in files:
        for rec in pymarc.parse_xml_to_array(io.BytesIO(path.read_bytes())):
            n += rec is not None
    return n, time.process_time() - start


def _child(which: str, files: list[Path], sheet: Path, base: str, repeat: int) -> dict:
    files = files * repeat
    if which == "pymarc":
        n, secs = run_pymarc(files)
        done, failed, counts = n, 0, {}
    elif which == "ours":
        done, failed, secs, counts = run_ours(files, base)
    else:
        done, failed, secs, counts = run_lc(sheet, files, base)
    return {"done": done, "failed": failed, "secs": secs, "counts": dict(counts),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "marcxml-lc")
    ap.add_argument("--xsl-dir", type=Path, default=Path("/tmp/marc2bibframe2"))
    ap.add_argument("--base", default="http://example.org")
    ap.add_argument("--only", choices=("pymarc", "ours", "lc"), help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    files = lc_files(args.data)
    sheet = ensure_xsl(args.xsl_dir)
    if args.only:   # one converter in a process of its own, so its peak memory is its own
        print(json.dumps(_child(args.only, files, sheet, args.base, args.repeat)))
        return 0

    def child(which: str, repeat: int = 1) -> dict:
        out = subprocess.run([sys.executable, __file__, "--only", which, "--repeat", str(repeat),
                              "--data", str(args.data), "--xsl-dir", str(args.xsl_dir), "--base", args.base],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    py, ours, lc = child("pymarc"), child("ours"), child("lc")
    ours3 = child("ours", 3)
    print(f"LC set: {len(files)} files, {py['done']} records (pymarc parse); LC marc2bibframe2 {LC_TAG} via lxml")
    print(f"{'':<11}{'records':>8}{'failed':>8}{'rec/s':>9}{'triples/rec':>13}{'peak RSS MB':>13}")
    print(f"{'pymarc':<11}{py['done']:>8}{0:>8}{py['done'] / py['secs']:>9.0f}{'':>13}{py['peak_mb']:>13.0f}")
    for name, r in (("grenselos", ours), ("LC XSLT", lc)):
        print(f"{name:<11}{r['done']:>8}{r['failed']:>8}{r['done'] / r['secs']:>9.0f}"
              f"{r['counts'].get('triples', 0) / max(r['done'], 1):>13.1f}{r['peak_mb']:>13.0f}")
    ratio = (ours["done"] / ours["secs"]) / (lc["done"] / lc["secs"])
    print(f"speed ratio grenselos / LC: {ratio:.1f}x (must stay >= 5x; rates are per CPU second of the one\n"
          "process, parse + convert + serialise, so a loaded machine does not skew the ratio)")
    print(f"grenselos peak RSS, the set once / three times: {ours['peak_mb']:.0f} / {ours3['peak_mb']:.0f} MB "
          "(memory does not grow with the number of records)")
    print()
    from collections import Counter
    print(construct_stats.table(Counter(ours["counts"]), Counter(lc["counts"])), end="")
    return 0 if ratio >= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
