"""Measure language identification on real text: UD test sentences and titles of the shared MARC records.

    .venv/bin/python bench/langid.py [--data ../shared/data] [--limit N] [--json]

Only the *test* sentences are read (train files went into the profiles). Prints accuracy per language
(all sentences and sentences of >= 4 words), a confusion table, the Bokmål/Nynorsk confusion, the share
of Finnish sentences labelled Kven, accuracy on record titles by catalogued language, sentences/s,
p50/p95 latency and peak memory. Runs are deterministic: the same numbers every time.
"""

from __future__ import annotations

import argparse
import glob
import json
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transform import langid, readings  # noqa: E402
from transform.languages import record_languages  # noqa: E402

TEST_FILES = {"sme": "sme-test.txt", "sms": "sms-test.txt", "fin": "fin-test.txt", "nob": "nob-test.txt",
              "nno": "nno-test.txt"}
GOALS = {"sme_ge4": 0.97, "sms": 0.90, "fin_as_fkv_max": 0.03}
TITLE_LANGS = {"eng", "ger", "fre", "fin", "rus", "swe", "dan", "nob", "nno", "nor", "spa", "ita", "por",
               "dut", "pol"}


def read_sentences(data: Path, limit: int | None) -> dict[str, list[str]]:
    out = {}
    for code, name in TEST_FILES.items():
        lines = [l.strip() for l in (data / "ud-sentences" / name).read_text(encoding="utf-8").splitlines()]
        out[code] = [l for l in lines if l][:limit]
    return out


def read_titles(data: Path, limit: int | None) -> list[tuple[str, object]]:
    """(catalogued language, pymarc record) for shared MARCXML records with a plausible 008 language."""
    from harvest.marcdata import from_stored
    from harvest.marcxml import find_records
    from lxml import etree
    out = []
    for path in sorted(glob.glob(str(data / "**" / "*.xml"), recursive=True)):
        try:
            root = etree.parse(path, etree.XMLParser(recover=True, huge_tree=True)).getroot()
        except etree.XMLSyntaxError:
            continue
        if root is None:
            continue
        for element in find_records(root):
            try:
                record = from_stored(element)
            except Exception:  # noqa: BLE001 - a broken sample record is not this benchmark's concern
                continue
            code = readings.first(record, "languages.fixed")
            if code in TITLE_LANGS and readings.has(record, "languages.title"):
                out.append((code, record))
    return out[:limit]


def read_records(data: Path) -> list:
    """Every bibliographic record of the shared MARCXML files, whatever its language or kind."""
    from harvest.marcdata import from_stored
    from harvest.marcxml import find_records
    from lxml import etree
    out = []
    for path in sorted(glob.glob(str(data / "**" / "*.xml"), recursive=True)):
        try:
            root = etree.parse(path, etree.XMLParser(recover=True, huge_tree=True)).getroot()
        except etree.XMLSyntaxError:
            continue
        if root is None:
            continue
        for element in find_records(root):
            try:
                record = from_stored(element)
            except Exception:  # noqa: BLE001 - a broken sample record is not this benchmark's concern
                continue
            if record.leader and len(str(record.leader)) > 7 and str(record.leader)[6] not in "uvxy":
                out.append(record)
    return out


def run_suggestions(records: list) -> dict:
    """What the librarians' language report would suggest: how many suggestions, and how many of them
    stand on a record that is not text (music, scores, maps, films...) or on a text of under 4 words."""
    from transform.languages import record_text
    made, not_textual, short, examples = 0, 0, 0, []
    kinds: Counter = Counter()
    for record in records:
        langs = record_languages(record, detect=True)
        if not langs.detected:
            continue
        made += 1
        kind = str(record.leader)[6]
        kinds[kind] += 1
        not_textual += kind not in "ati"
        words = len(record_text(record).split())
        short += words < 4
        if len(examples) < 12:
            examples.append(f"{kind} {record_text(record)[:50]!r} -> {langs.detected.code} "
                            f"{langs.detected.confidence:.2f} {getattr(langs.detected, 'reason', '')}".rstrip())
    return {"records": len(records), "suggestions": made, "on_records_not_textual": not_textual,
            "on_texts_under_4_words": short, "by_record_type": dict(sorted(kinds.items())), "examples": examples}


def pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f}%" if d else "   - "


def run_sentences(sentences: dict[str, list[str]]):
    confusion: dict[str, Counter] = defaultdict(Counter)
    confusion_ge4: dict[str, Counter] = defaultdict(Counter)
    latencies = []
    for gold, lines in sentences.items():
        for line in lines:
            t = time.perf_counter()
            result = langid.identify(line)
            latencies.append(time.perf_counter() - t)
            got = result.code if result else "none"
            confusion[gold][got] += 1
            if len(line.split()) >= 4:
                confusion_ge4[gold][got] += 1
    return confusion, confusion_ge4, latencies


def print_confusion(confusion: dict[str, Counter]) -> None:
    predicted = sorted({p for row in confusion.values() for p in row})
    print("gold\\got " + " ".join(f"{p:>5}" for p in predicted))
    for gold in confusion:
        print(f"{gold:<8} " + " ".join(f"{confusion[gold].get(p, 0):>5}" for p in predicted))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="at most N sentences per language")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    langid.models()
    load_s = time.perf_counter() - t0
    sentences = read_sentences(args.data, args.limit)
    t1 = time.perf_counter()
    confusion, confusion_ge4, latencies = run_sentences(sentences)
    elapsed = time.perf_counter() - t1
    n = sum(len(v) for v in sentences.values())

    figures = {"profiles_load_s": round(load_s, 3), "sentences": n,
               "sentences_per_s": round(n / elapsed, 1),
               "p50_ms": round(1000 * statistics.median(latencies), 2),
               "p95_ms": round(1000 * statistics.quantiles(latencies, n=20)[18], 2), "accuracy": {},
               "accuracy_ge4_words": {}}
    for gold in confusion:
        total, total4 = sum(confusion[gold].values()), sum(confusion_ge4[gold].values())
        figures["accuracy"][gold] = round(confusion[gold][gold] / total, 4) if total else None
        figures["accuracy_ge4_words"][gold] = round(confusion_ge4[gold][gold] / total4, 4) if total4 else None
    fin_total = sum(confusion["fin"].values())
    figures["fin_labelled_fkv"] = round(confusion["fin"]["fkv"] / fin_total, 4) if fin_total else None
    figures["nob_as_nno"] = round(confusion["nob"]["nno"] / max(1, sum(confusion["nob"].values())), 4)
    figures["nno_as_nob"] = round(confusion["nno"]["nob"] / max(1, sum(confusion["nno"].values())), 4)

    titles = read_titles(args.data, args.limit)
    by_lang: dict[str, Counter] = defaultdict(Counter)
    for gold, record in titles:
        detection = record_languages(record, detect=True)
        text = " ".join(readings.hits(record, "languages.title")[0].values)
        got = langid.identify(text)
        got_code = got.code if got else "none"
        family_ok = got_code == gold or (gold in ("nor", "nob", "nno") and got_code in ("nob", "nno"))
        by_lang[gold]["ok" if family_ok else "wrong"] += 1
        by_lang[gold]["flagged"] += bool(detection.detected)
    figures["titles"] = {g: {"n": c["ok"] + c["wrong"], "correct": round(c["ok"] / (c["ok"] + c["wrong"]), 4),
                             "flagged_contradicted": c["flagged"]} for g, c in sorted(by_lang.items())}
    figures["report_suggestions"] = run_suggestions(read_records(args.data))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["goals"] = {
        "sme_ge4_words>=97%": (figures["accuracy_ge4_words"].get("sme") or 0) >= GOALS["sme_ge4"],
        "sms>=90%": (figures["accuracy"].get("sms") or 0) >= GOALS["sms"],
        "fin_as_fkv<=3%": (figures["fin_labelled_fkv"] or 0) <= GOALS["fin_as_fkv_max"]}

    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
        return 0
    print(f"profiles loaded in {figures['profiles_load_s']} s; {n} test sentences")
    print("\nconfusion (all test sentences):")
    print_confusion(confusion)
    print("\naccuracy      all    >=4 words")
    for gold in confusion:
        print(f"  {gold:<6} {figures['accuracy'][gold] * 100:6.1f}%  "
              f"{(figures['accuracy_ge4_words'][gold] or 0) * 100:6.1f}%")
    print(f"\nBokmål labelled Nynorsk: {figures['nob_as_nno'] * 100:.1f}%   "
          f"Nynorsk labelled Bokmål: {figures['nno_as_nob'] * 100:.1f}%")
    print(f"Finnish labelled Kven: {figures['fin_labelled_fkv'] * 100:.1f}%")
    print(f"\nrecord titles ({len(titles)} shared MARC records, n-grams on 245 $a$b vs 008/35-37):")
    for gold, t in figures["titles"].items():
        print(f"  {gold:<4} n={t['n']:<4} correct {t['correct'] * 100:5.1f}%   "
              f"flagged as contradicted {t['flagged_contradicted']}")
    r = figures["report_suggestions"]
    print(f"\nlanguage report over {r['records']} shared records: {r['suggestions']} suggestions, "
          f"{r['on_records_not_textual']} on records that are not text, {r['on_texts_under_4_words']} on texts "
          f"of under 4 words; by record type {r['by_record_type']}")
    for line in r["examples"]:
        print("  " + line)
    print(f"\n{figures['sentences_per_s']} sentences/s, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
          f"peak RSS {figures['peak_rss_mb']} MB")
    print("goals: " + ", ".join(f"{k} {'MET' if v else 'NOT MET'}" for k, v in figures["goals"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
