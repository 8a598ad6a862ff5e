"""The data behind a record page: the edition, who holds it where, its other editions and translations.

The county's libraries each send their own copy of a record, which clustering gathers into one work.
A patron thinks in editions, not in records: so the copies of *this* edition from every library (the
same ISBN, or without one the same language, year, format and title) are shown together as holdings,
and the work's other editions and its translations are listed once each. Translations are found in
the transform stage's `clusters.translation_of`; a portal serving an index without the transform
stage's tables (an index built elsewhere) falls back to uniform titles (240/130 of a translation naming
the original's title) through the index, which costs two searches per page.
"""

from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from index.text import fold
from portal import covers, i18n, labels, services
from portal.editions import editions
from portal.search_service import SearchRequest
from portal.urls import external_url
from vocab import licences, statuses

#: item status -> its place in a library's list of copies (best first, as the index orders them)
MAX_RELATED = 20
#: relator code -> schema.org property of a Book (a contributor without a role is its author).
SCHEMA_ROLES = {"aut": "author", "trl": "translator", "ill": "illustrator", "edt": "editor"}


def holdings_items(docs: list[dict]) -> list[dict]:
    """Every copy of the given records, as the index carries them per holding (the items each source's
    holdings profile reports, separate holdings records included). A holding without copies (a record
    without item fields, or a document held in memory) stands for itself."""
    items = []
    for doc in docs:
        for holding in doc.get("holdings") or ():
            shared = {k: holding.get(k, "") for k in ("library", "municipality", "kind", "isil", "name")}
            shared["region"] = holding.get("region", True)
            for copy in holding.get("copies") or [holding]:
                items.append({**shared, "location": copy.get("location", ""),
                              "call_number": copy.get("call_number", ""), "status": copy.get("status", ""),
                              "due_date": copy.get("due_date", ""), "record": doc["id"],
                              "deposit_until": copy.get("deposit_until", ""),
                              "deposit_place": copy.get("deposit_place", "")})
    return items


def _shelf(location: str, library_name: str) -> str:
    """The shelf part of an item's location: sources often repeat their own name there (852 $b), which
    the library's heading already shows."""
    if library_name and location.startswith(library_name):
        return location[len(library_name):].lstrip(" /")
    return location


def holdings_by_library(items: list[dict], mine: str) -> list[dict]:
    libraries = services.libraries()
    groups: dict[str, dict] = {}
    for item in items:
        key = item.get("library") or ""
        library = libraries.by_id(key)
        group = groups.setdefault(key, {
            "library": key,
            "name": item.get("library_name") or item.get("name") or (library.name if library else key),
            "region": item.get("region", True),
            "municipality": item.get("municipality") or (library.municipality if library else ""),
            "kind": library.kind if library else item.get("kind", ""),
            "key": library.key if library else "",
            "mine": key == mine and bool(mine),
            "copies": [],
        })
        status = statuses.get(item.get("status") or "").code
        group["copies"].append({
            "location": _shelf(item.get("location", ""), group["name"]), "call_number": item.get("call_number", ""),
            "status": status, "due_date": item.get("due_date", "") if status == "on_loan" else "",
            "status_label": labels.status_label(status),
            "deposit_until": item.get("deposit_until", ""), "deposit_place": item.get("deposit_place", ""),
            "record": item.get("record", "")})
    for group in groups.values():
        group["copies"].sort(key=lambda i: statuses.rank(i["status"]))
        group["available"] = sum(1 for i in group["copies"] if statuses.get(i["status"]).available_now)
        group["items"] = len(group["copies"])     # named as in the index's holdings: items count, copies list
    return sorted(groups.values(), key=lambda g: (not g["mine"], g["available"] == 0, g["municipality"],
                                                  g["name"]))


def _works_titled(service, title: str, exclude_work: str, match) -> list[dict]:
    """Works (first hit of each) found by title words whose documents satisfy `match`."""
    if not title.strip():
        return []
    result = service.search(SearchRequest(q=title[:200], page_size=50, facets=False))
    return [hit for hit in result.hits if (hit.get("work_id") or (hit.get("work") or {}).get("id")) != exclude_work
            and match(hit)][:MAX_RELATED]


def related_works(record: dict, work_id: str | None, service) -> dict[str, list[dict]]:
    """The originals this record's work translates, and the translations of it."""
    found = {"original": [], "translations": []}
    database = services.database()
    clustered = database is not None and database.has("clusters")
    if clustered and work_id:
        links = database.translation_links(work_id)
        for kind in ("original", "translations"):
            for other in links[kind][:MAX_RELATED]:
                work = service.work(other)
                if work and work.get("records"):
                    found[kind].append(work["records"][0])
    if clustered:      # clustering already linked translations by uniform title and title proper
        return found
    title, uniform = record.get("title") or "", record.get("uniform_title") or ""
    if not found["original"] and uniform and fold(uniform) != fold(title):
        found["original"] = _works_titled(service, uniform, work_id,
                                          lambda h: fold(h.get("title") or "") == fold(uniform))
    if not found["translations"]:
        found["translations"] = _works_titled(service, title, work_id,
                                              lambda h: fold(h.get("uniform_title") or "") == fold(title))
    return found


def _edition_entry(doc: dict, record: dict, relation: str = "") -> dict:
    languages = list(doc.get("languages") or [])
    return {"id": doc["id"], "title": doc.get("title", ""), "languages": languages, "year": doc.get("year"),
            "format": doc.get("format"), "publisher": doc.get("publisher", ""),
            "translation": bool(relation) or languages[:1] != list(record.get("languages") or [])[:1],
            "relation": relation,
            "url": url_for("record.record", record_id=doc["id"])}


def json_ld(record: dict, work: dict | None, members: list[dict]) -> dict:
    """schema.org for search engines: machine-readable republishing, so a record whose licence forbids it
    (`vocab.licences.publishable`) is named by its title and page only, here and among its work's examples
    (the page itself still shows patrons everything)."""
    settings = services.settings()
    if not licences.document_publishable(settings, record):
        return {"@context": "https://schema.org", "@type": "Book",
                "@id": external_url("record.record", record_id=record["id"]),
                "url": external_url("record.record", record_id=record["id"]), "name": record.get("title", "")}
    data = {
        "@context": "https://schema.org",
        "@type": "Book",
        "@id": external_url("record.record", record_id=record["id"]),
        "name": record.get("title", ""),
        "inLanguage": list(record.get("languages") or [])[:1] or list(record.get("languages") or []),
        "isbn": list((record.get("identifiers") or {}).get("isbn") or []),
    }
    people: dict[str, list[dict]] = {}
    for c in record.get("contributors") or []:
        codes = [r["code"] for r in c.get("roles") or []]
        person = {"@type": "Person" if "," in c["name"] or " " in c["name"] else "Organization", "name": c["name"]}
        for prop in [SCHEMA_ROLES[code] for code in codes if code in SCHEMA_ROLES] or ([] if codes else ["author"]):
            people.setdefault(prop, []).append(person)
    data["author"] = people.pop("author", [])
    data.update(people)
    if record.get("year"):
        data["datePublished"] = str(record["year"])
    if record.get("publisher"):
        data["publisher"] = {"@type": "Organization", "name": record["publisher"]}
    if record.get("summary"):
        data["description"] = record["summary"]
    if work:
        data["exampleOfWork"] = {
            "@type": "CreativeWork",
            "@id": external_url("record.work", work_id=work["id"]),
            "name": work.get("title", ""),
            "workExample": [{"@type": "Book", "@id": external_url("record.record", record_id=r["id"]),
                             "name": r.get("title", ""),
                             **({"inLanguage": list(r.get("languages") or [])[:1]}
                                if licences.document_publishable(settings, r) else {})}
                            for r in members],
        }
    return data


def record_data(record: dict, mine: str, service=None) -> dict:
    """The page of `record`; its work and related titles come from `service` (the search index, or the
    record store while the index is down)."""
    service = service or services.search()
    work_id = record.get("work_id") or (record.get("work") or {}).get("id")
    work = service.work(work_id) if work_id else None
    members = list((work or {}).get("records") or []) or [record]
    if not any(m["id"] == record["id"] for m in members):
        members = [record] + members
    # the editions as every page counts them (portal.editions), this record's first
    groups = editions([m for m in members if m["id"] == record["id"]] + [m for m in members if m["id"] != record["id"]])
    this_edition = groups[0]
    edition_ids = {m["id"] for m in this_edition}
    others = {n: {**_edition_entry(group[0], record), "copies_records": len(group)}
              for n, group in enumerate(groups[1:])}
    related = related_works(record, work_id, service)
    relation_entries = [_edition_entry(d, record, "original") for d in related["original"]]
    relation_entries += [_edition_entry(d, record, "translation") for d in related["translations"]]
    record = {**record, "contributors": labels.contributors(record.get("contributors") or []),
              "genre_labels": [{"id": g, "label": labels.value_label("genre", g)}
                               for g in record.get("genres") or []]}
    every = holdings_by_library(holdings_items(this_edition), mine)
    holdings = [g for g in every if g["region"]]
    elsewhere = sorted((g for g in every if not g["region"]), key=lambda g: g["name"].casefold())
    examples = [m for m in members if m["id"] == record["id"] or m["id"] not in edition_ids]
    return {
        "record": record,
        "work": {"id": work_id, "title": (work or {}).get("title", ""),
                 "editions": len(groups), "records": len(members)} if work_id else None,
        "other_editions": list(others.values()),
        "related": relation_entries,
        "holdings": holdings,
        "holdings_elsewhere": elsewhere,       # outside the region (the union catalogue's), shown collapsed
        "holdings_summary": {"libraries": len(holdings), "copies": sum(g["items"] for g in holdings),
                             "available": sum(g["available"] for g in holdings),
                             "elsewhere": len(elsewhere)},
        "my_library": mine,
        "json_ld": json_ld(record, work and {**work, "id": work_id}, examples + related["original"]
                           + related["translations"]),
        "language_labels": {c: i18n.language_label(c) for c in record.get("languages") or []},
        "identifier_rows": labels.identifier_rows(record.get("identifiers") or {}),
        "cover": covers.cover(record, services.settings().portal.cover_url),
        "licence": record_licence(record.get("source") or ""),
    }


def online_access(record: dict, home: str) -> dict | None:
    """A shared digital resource's "read/listen now": its links, the libraries whose patrons may open it,
    and whether the visitor may (`home`: the signed-in patron's library, else the chosen one). Access is
    licensed, not counted: no copies are shown for it."""
    if not record.get("digital"):
        return None
    directory = services.libraries()
    names = []
    for library_id in record.get("access") or ():
        library = directory.by_id(library_id)
        names.append({"id": library_id, "name": library.name if library else library_id})
    audio = record.get("format") == "audiobook"
    return {"links": record.get("links") or [], "libraries": names, "home": home,
            "can_open": bool(home) and home in (record.get("access") or ()),
            "action": str(_l("Listen now") if audio else _l("Read now"))}


def record_licence(source_id: str) -> dict | None:
    """The licence the record's source declares, and whether the linked data publishes the record."""
    settings = services.settings()
    licence = licences.of_source(settings, source_id)
    if licence is None:
        return None
    return {"id": licence.id, "label": licence.label(i18n.current()), "uri": licence.uri,
            "published": licences.publishable(settings, source_id)}
