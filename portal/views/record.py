"""Record and work pages: the description, the other editions and translations, holdings per library."""

from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for

from portal import labels, services
from portal.render import render

bp = Blueprint("record", __name__)

MY_LIBRARY_COOKIE = "mylib"
STATUS_ORDER = {"available": 0, "on_loan": 2, "in_transit": 1, "reference": 3}


def _split_format(raw_id: str) -> str:
    if raw_id.endswith(".json"):
        g.format = "json"
        return raw_id[:-5]
    return raw_id


def my_library() -> str:
    """The patron's chosen library (source id): `?library=` (remembered), else the cookie."""
    libraries = services.libraries()
    asked = request.args.get("library", "")
    if asked and libraries.by_id(asked):
        g.set_my_library = asked
        return asked
    remembered = request.cookies.get(MY_LIBRARY_COOKIE, "")
    return remembered if libraries.by_id(remembered) else ""


def holdings_by_library(holdings: list[dict], mine: str) -> list[dict]:
    libraries = services.libraries()
    groups: dict[str, dict] = {}
    for item in holdings:
        key = item.get("library") or ""
        library = libraries.by_id(key)
        group = groups.setdefault(key, {
            "library": key,
            "name": item.get("library_name") or (library.name if library else key),
            "municipality": item.get("municipality") or (library.municipality if library else ""),
            "key": library.key if library else "",
            "mine": key == mine and bool(mine),
            "items": [],
        })
        status = item.get("status") or "unknown"
        group["items"].append({**item, "status": status,
                               "status_label": str(labels.STATUS_LABELS.get(status,
                                                                           labels.STATUS_LABELS["unknown"]))})
    for group in groups.values():
        group["items"].sort(key=lambda i: STATUS_ORDER.get(i["status"], 9))
        group["available"] = sum(1 for i in group["items"] if i["status"] == "available")
    return sorted(groups.values(), key=lambda grp: (not grp["mine"], grp["municipality"], grp["name"]))


def json_ld(record: dict, work: dict | None) -> dict:
    base = request.host_url.rstrip("/")
    data = {
        "@context": "https://schema.org",
        "@type": "Book",
        "@id": base + url_for("record.record", record_id=record["id"]),
        "name": record.get("title", ""),
        "author": [{"@type": "Person", "name": c["name"]} for c in record.get("contributors") or []
                   if c.get("name") and c.get("role", "author") == "author"],
        "inLanguage": list(record.get("languages") or []),
        "isbn": list((record.get("identifiers") or {}).get("isbn") or []),
    }
    if record.get("year"):
        data["datePublished"] = str(record["year"])
    if work:
        data["exampleOfWork"] = {
            "@type": "CreativeWork",
            "@id": base + url_for("record.work", work_id=work["id"]),
            "name": work.get("title", ""),
            "workExample": [{"@type": "Book", "@id": base + url_for("record.record", record_id=r["id"]),
                             "name": r.get("title", ""), "inLanguage": list(r.get("languages") or [])}
                            for r in work.get("records") or []],
        }
    return data


def record_data(record_id: str) -> dict:
    service = services.search()
    record = service.record(record_id)
    if record is None:
        abort(404)
    work_id = record.get("work_id") or (record.get("work") or {}).get("id")
    work = service.work(work_id) if work_id else None
    others = [r for r in (work or {}).get("records") or [] if r["id"] != record["id"]]
    mine = my_library()
    return {
        "record": record,
        "work": {"id": work_id, "title": (work or {}).get("title", "")} if work_id else None,
        "other_editions": [{"id": r["id"], "title": r.get("title", ""), "languages": r.get("languages") or [],
                            "year": r.get("year"), "format": r.get("format"),
                            "translation": set(r.get("languages") or []) != set(record.get("languages") or [])}
                           for r in others],
        "holdings": holdings_by_library(record.get("holdings") or [], mine),
        "my_library": mine,
        "json_ld": json_ld(record, work),
    }


@bp.after_app_request
def _remember_library(response):
    chosen = g.pop("set_my_library", None)
    if chosen:
        response.set_cookie(MY_LIBRARY_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


@bp.route("/record/<path:record_id>")
def record(record_id):
    data = record_data(_split_format(record_id))
    data["libraries"] = [lib.as_dict() for lib in services.libraries().libraries]
    return render("record.html", data)


@bp.route("/work/<path:work_id>")
def work(work_id):
    work_id = _split_format(work_id)
    found = services.search().work(work_id)
    if found is None:
        abort(404)
    return render("work.html", {"work": found})
