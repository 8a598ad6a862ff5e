"""The migration's report as text (the terminal) and HTML (to keep, print and show the library).

Why both from one dict: the dry run's promise and the real run's account must read the same; every
problem names its kind, its file and place, and the row's card and barcode."""

from __future__ import annotations

from html import escape

TITLES = {
    "broken_record": "Broken records (not read)",
    "duplicate_barcode": "Duplicate barcodes (copy left out)",
    "normarc_unmapped": "NORMARC fields that do not map to MARC 21 (dropped)",
    "patron_refused": "Patrons refused",
    "patron_without_card": "Patrons without a card",
    "loan_unknown_copy": "Loans of unknown copies",
    "loan_unknown_patron": "Loans of unknown patrons",
    "loan_bad_row": "Loan rows that cannot be read",
    "copy_already_lent": "Copies already lent",
}
COUNTS = (("records", "records"), ("records_marc21", "of them MARC 21"), ("records_normarc", "of them NORMARC"),
          ("copies", "copies"), ("patrons_new", "new patrons"), ("patrons_existing", "patrons already known"),
          ("loans", "open loans"))


def _example(e: dict) -> str:
    where = " ".join(x for x in (e.get("file", ""), e.get("location", "")) if x)
    who = f"card {e.get('card') or '-'}, barcode {e.get('barcode') or '-'}"
    record = f", record {e['record']}" if e.get("record") else ""
    return f"{where}: {who}{record}: {e.get('why', '')}"


def text(report: dict) -> str:
    verb = "would create or keep" if report["dry_run"] else "created or kept"
    lines = [f"Mikromarc migration into {report['source']}" + (" (dry run: nothing written)" if report["dry_run"] else "")]
    lines.append(f"{verb}: " + ", ".join(f"{report['counts'].get(k, 0)} {label}" for k, label in COUNTS))
    lines.append(f"refused rows: {report['refused_rows']}")
    for kind, found in report["problems"].items():
        lines.append(f"{TITLES.get(kind, kind)}: {found['count']}")
        lines += [f"  {_example(e)}" for e in found["examples"]]
    return "\n".join(lines) + "\n"


def html(report: dict) -> str:
    rows = "".join(f"<tr><th scope=\"row\">{escape(label)}</th><td>{report['counts'].get(k, 0)}</td></tr>"
                   for k, label in COUNTS)
    sections = []
    for kind, found in report["problems"].items():
        items = "".join(
            f"<tr><td>{escape(e.get('file', ''))} {escape(e.get('location', ''))}</td><td>{escape(e.get('card') or '-')}</td>"
            f"<td>{escape(e.get('barcode') or '-')}</td><td>{escape(e.get('record', ''))}</td>"
            f"<td>{escape(e.get('why', ''))}</td></tr>" for e in found["examples"])
        sections.append(f"<section id=\"{escape(kind)}\"><h2>{escape(TITLES.get(kind, kind))}: {found['count']}</h2>"
                        "<table><thead><tr><th>Where</th><th>Card</th><th>Barcode</th><th>Record</th><th>Why</th>"
                        f"</tr></thead><tbody>{items}</tbody></table></section>")
    title = f"Mikromarc migration into {report['source']}" + (" — dry run" if report["dry_run"] else "")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
            f"<table><tbody>{rows}<tr><th scope=\"row\">refused rows</th><td>{report['refused_rows']}</td></tr>"
            f"</tbody></table>{''.join(sections) or '<p>No problems.</p>'}</main></body></html>\n")
