"""The librarian-facing language report: per source, what the codes say, what is wrong, what to fix.

Built once as plain data (`build_report`), rendered as text (`format_report`) or JSON by the CLI
(`grenselos languages --report [--json]`), and by the portal's staff page. A record that cannot be read
is counted under `unreadable` with its identifier and cause, never skipped silently.
"""

from __future__ import annotations

from collections import Counter

from transform import readings
from transform.languages import SUGGESTION_REASONS, record_languages
from vocab import languages as vocab

SUGGESTION_LIMIT = 200
"""Suggestions kept per source in the report (counts are always complete)."""


def _problem_kind(problem: str) -> str:
    return problem.split(" (")[0]


def _title(record) -> str:
    found = readings.hits(record, "languages.title")
    return " ".join(found[0].values).strip(" /:;") if found else ""


def build_report(store, sources=None, *, detect: bool = True, source_filter: list[str] | None = None) -> dict:
    """{source id: {records, by_language, without_language, detected_by_language, problems, unknown_codes,
    suggestions, unreadable}} for every bibliographic record in the store that is not deleted.

    A suggestion is made only where `transform.languages.record_languages` judged the text (enough words,
    a textual record), and carries `reason`, a key of `SUGGESTION_REASONS`: why the librarian sees it."""
    from harvest.marcdata import from_stored
    from harvest.marcxml import MarcError
    by_id = {s.id: s for s in (sources or ())}
    report: dict[str, dict] = {}
    collector = vocab.UnknownCodes()
    for stored in store.iter_records(include_deleted=False, record_type="bib"):
        if source_filter and stored.source not in source_filter:
            continue
        entry = report.setdefault(stored.source, {
            "records": 0, "by_language": Counter(), "without_language": 0, "detected_by_language": Counter(),
            "problems": Counter(),
            "unknown_codes": Counter(), "suggestions": [], "unreadable": []})
        entry["records"] += 1
        if not stored.marcxml:
            entry["unreadable"].append({"identifier": stored.identifier, "cause": stored.error or "no MARC"})
            continue
        try:
            record = from_stored(stored.marcxml)
        except (MarcError, ValueError) as exc:
            entry["unreadable"].append({"identifier": stored.identifier, "cause": str(exc)})
            continue
        langs = record_languages(record, by_id.get(stored.source, stored.source), detect=detect)
        target = entry["detected_by_language"] if langs.effective_is_detected else entry["by_language"]
        for code in langs.effective:
            target[code] += 1
        if not langs.effective:
            entry["without_language"] += 1
        for problem in langs.problems:
            entry["problems"][_problem_kind(problem)] += 1
        for code in langs.unknown:
            entry["unknown_codes"][code] += 1
            collector.report(stored.source, code)
        if langs.detected and len(entry["suggestions"]) < SUGGESTION_LIMIT:
            entry["suggestions"].append({
                "identifier": stored.identifier, "title": _title(record),
                "catalogued": langs.codes("text", "sung_or_spoken"), "suggested": langs.detected.code,
                "confidence": round(langs.detected.confidence, 3), "evidence": langs.detected.evidence,
                "reason": langs.suggestion_reason(),
                "problems": langs.problems})
    for entry in report.values():
        for key in ("by_language", "detected_by_language", "problems", "unknown_codes"):
            entry[key] = dict(sorted(entry[key].items(), key=lambda kv: (-kv[1], kv[0])))
    return dict(sorted(report.items()))


def format_report(report: dict, ui_lang: str = "en") -> str:
    lines = []
    for source, entry in report.items():
        lines.append(f"== {source}: {entry['records']} records")
        langs = ", ".join(f"{vocab.label(c, ui_lang)} ({c}) {n}" for c, n in entry["by_language"].items())
        lines.append(f"  by language: {langs or '-'}")
        if entry["without_language"]:
            lines.append(f"  without a language code: {entry['without_language']}")
        if entry["detected_by_language"]:
            lines.append("  detected (no usable code): " + ", ".join(
                f"{vocab.label(c, ui_lang)} ({c}) {n}" for c, n in entry["detected_by_language"].items()))
        if entry["problems"]:
            lines.append("  problems: " + ", ".join(f"{k} {n}" for k, n in entry["problems"].items()))
        if entry["unknown_codes"]:
            lines.append("  unknown codes: " + ", ".join(f"{k} {n}" for k, n in entry["unknown_codes"].items()))
        for bad in entry["unreadable"]:
            lines.append(f"  unreadable {bad['identifier']}: {bad['cause']}")
        if entry["suggestions"]:
            lines.append("  suggestions to fix:")
        for s in entry["suggestions"]:
            catalogued = ",".join(s["catalogued"]) or "-"
            lines.append(f"    {s['identifier']}\t{catalogued} -> {s['suggested']} ({s['confidence']:.2f})\t"
                         f"because {SUGGESTION_REASONS[s['reason']]}\t{s['title'][:60]}\t{'; '.join(s['evidence'])}")
    return "\n".join(lines)
