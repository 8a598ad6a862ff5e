"""Front page and search results: one box, hits grouped by work, facets, paging, zero-hit help."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from portal import editions, labels, params, services
from portal.errors import BadParameter
from portal.render import render
from portal.views import lists as curated_lists
from portal.search_service import FACET_FIELDS, SAMI_FACET_VALUE, SAMI_GROUP, SearchRequest
from portal.views.record import my_library

#: What the numbers count: the hit total counts works (a work's editions are one hit), the facet
#: counts count editions (records) — said in the JSON and beside the facets, so "6 titles" beside
#: "Book (10)" is not read as a contradiction.
UNITS = {"total": "works", "facets": "editions"}

bp = Blueprint("search", __name__)

#: Published lists shown on the front page (newest first).
FRONT_LISTS = 6


def search_url(req: SearchRequest, **changes) -> str:
    q = changes.get("q", req.q)
    filters = changes.get("filters", req.filters)
    sort = changes.get("sort", req.sort)
    page = changes.get("page", 1)
    args = []
    if q:
        args.append(("q", q))
    args += [("filter", f"{k}:{v}") for k, v in filters]
    if sort != "relevance":
        args.append(("sort", sort))
    if page > 1:
        args.append(("page", str(page)))
    if req.page_size != params.DEFAULT_PAGE_SIZE:
        args.append(("page_size", str(req.page_size)))
    return "/search" + ("?" + urlencode(args) if args else "")


def _with_year_range(args) -> list[str]:
    """The year range inputs (year_from, year_to) become one `year:from-to` filter."""
    extra = []
    low, high = args.get("year_from", "").strip(), args.get("year_to", "").strip()
    for name, value in (("year_from", low), ("year_to", high)):
        if value and not (value.isdigit() and len(value) <= 4):
            raise BadParameter(name, _l("must be a year, such as 1999"), value)
    if low or high:
        extra.append(f"year:{low}-{high}")
    return extra


def parse_request(args) -> SearchRequest:
    req = params.search_request(args)
    extra = _with_year_range(args)
    if extra:
        year = params.parse_filter(extra[0])
        filters = tuple(f for f in req.filters if f[0] != "year") + (year,)
        req = SearchRequest(req.q, filters, req.sort, req.page, req.page_size)
    return req


def _facets(req: SearchRequest, raw: dict[str, list[dict]]) -> list[dict]:
    libraries = services.libraries()
    selected = set(req.filters)
    out = []
    for name in FACET_FIELDS:
        values = list(raw.get(name) or [])
        present = {v["value"] for v in values}
        values += [{"value": v, "count": 0} for f, v in req.filters if f == name and v not in present]
        if name == "year":      # decades, newest first (the year range inputs below take any span)
            values.sort(key=lambda v: v["value"].partition("-")[0] or "0", reverse=True)
        if not values:
            continue
        items = [{"value": v["value"], "count": v["count"], "filter": f"{name}:{v['value']}",
                  "label": labels.value_label(name, v["value"], libraries),
                  "selected": (name, v["value"]) in selected} for v in values]
        label = _l("Decade") if name == "year" else labels.FACET_LABELS[name]
        facet = {"field": name, "label": str(label), "values": items, "groups": []}
        if name == "language":
            facet.update(_sami_group(items, selected))
        out.append(facet)
    return out


def _sami_group(items: list[dict], selected: set) -> dict:
    """The Sami languages as a group on top of the language facet, led by "All Sami languages": the
    index's count of the collective value `smi` (every record in any Sami language), filtering `sami`.
    The group value is shown once, in the group: both spellings (`smi` from the index, `sami` kept
    from a selected filter) leave the plain list."""
    group_values = (SAMI_FACET_VALUE, SAMI_GROUP)
    sami = [i for i in items if labels.is_sami(i["value"]) and i["value"] not in group_values]
    groups = [i for i in items if i["value"] in group_values]
    if not sami and not groups:
        return {}
    counted = [i["count"] for i in groups if i["count"]]
    everything = {"value": SAMI_GROUP, "filter": f"language:{SAMI_GROUP}",
                  "count": max(counted) if counted else sum(i["count"] for i in sami),
                  "selected": any(("language", v) in selected for v in group_values),
                  "label": str(labels.SAMI_GROUP_LABEL)}
    return {"groups": [{"label": str(_l("Sami languages")), "all": everything, "values": sami}],
            "values": [i for i in items if i not in sami and i not in groups]}


def _year_range(req: SearchRequest) -> dict:
    for name, value in req.filters:
        if name == "year":
            low, _, high = value.partition("-")
            return {"from": low, "to": high if "-" in value else low}
    return {"from": "", "to": ""}


def _filter_label(name: str, value: str) -> str:
    return f"{labels.FACET_LABELS[name]}: {labels.value_label(name, value, services.libraries())}"


def _count(service, q: str, filters: tuple) -> int:
    return service.search(SearchRequest(q, filters, page_size=1, facets=False)).total


def _suggestions(service, req: SearchRequest, spelled: list[str]) -> list[dict]:
    """What a zero-hit search can become: the index's spelling corrections ("Did you mean"), then the
    search without one of its words; each only if it finds something under the same filters."""
    out, seen = [], {req.q}
    words = req.q.split()
    fewer = [" ".join(words[:n] + words[n + 1:]) for n in range(len(words))] if 1 < len(words) <= 6 else []
    for kind, candidates in (("spelling", spelled), ("fewer_words", fewer)):
        for q in candidates:
            if q in seen:
                continue
            seen.add(q)
            total = _count(service, q, req.filters)
            if total:
                out.append({"q": q, "url": search_url(req, q=q), "total": total, "kind": kind})
    return out


def search_data(req: SearchRequest) -> dict:
    """The dict behind the search page, /search.json and /api/search."""
    service = services.search()
    result = service.search(req)
    mine = my_library()
    for hit in result.hits:
        hit["contributors"] = labels.contributors(hit.get("contributors") or [])
        work = hit.get("work")
        if work:
            work["holdings"] = editions.mine_first(work.get("holdings") or [], mine)
            for h in work["holdings"]:
                h["status_label"] = labels.status_label(h["status"])
    data = {
        "q": req.q,
        "filters": [f"{k}:{v}" for k, v in req.filters],
        "sort": req.sort,
        "page": req.page,
        "page_size": req.page_size,
        "total": result.total,
        "units": UNITS,
        "my_library": mine,
        "hits": result.hits,
        "facets": {name: [{"value": v["value"], "count": v["count"]} for v in values]
                   for name, values in result.facets.items()},
        "suggestions": [],
        "index_available": result.available,
        "partial": result.partial,
    }
    if result.total == 0 and req.q and result.available:
        data["suggestions"] = _suggestions(service, req, result.suggestions)
    if result.total == 0 and req.filters and result.available:
        data["dropped_filters"] = []
        for pair in req.filters:
            total = _count(service, req.q, req.without(pair).filters)
            if total:
                data["dropped_filters"].append({"filter": f"{pair[0]}:{pair[1]}", "total": total,
                                                "label": _filter_label(*pair),
                                                "url": search_url(req, filters=req.without(pair).filters)})
    return data


def _html_extras(req: SearchRequest, data: dict, raw_facets: dict) -> dict:
    libraries = services.libraries()
    last_page = max(1, -(-data["total"] // req.page_size))
    last_page = min(last_page, params.MAX_RESULT_WINDOW // req.page_size)
    pages = sorted({p for p in (1, req.page - 2, req.page - 1, req.page, req.page + 1, req.page + 2, last_page)
                    if 1 <= p <= last_page})
    return {
        "facet_list": _facets(req, raw_facets),
        "active": [{"label": str(labels.FACET_LABELS[k]), "value": labels.value_label(k, v, libraries),
                    "remove_url": search_url(req, filters=req.without((k, v)).filters)}
                   for k, v in req.filters],
        "clear_url": search_url(req, filters=()),
        "year_range": _year_range(req),
        "sorts": [{"value": s, "label": str(l)} for s, l in labels.SORT_LABELS.items()],
        "paging": {"page": req.page, "last": last_page,
                   "pages": [{"number": p, "url": search_url(req, page=p), "current": p == req.page}
                             for p in pages],
                   "prev": search_url(req, page=req.page - 1) if req.page > 1 else None,
                   "next": search_url(req, page=req.page + 1) if req.page < last_page else None},
        "first_hit": (req.page - 1) * req.page_size + 1,
        "libraries": [lib.as_dict() for lib in libraries.libraries],
    }


@bp.route("/")
@bp.route("/index.json", endpoint="front_json")
def front():
    libraries = services.libraries()
    data = {"libraries": [lib.as_dict() for lib in libraries.libraries],
            "lists": curated_lists.listing(limit=FRONT_LISTS)}
    return render("front.html", data)


@bp.route("/search")
@bp.route("/search.json", endpoint="search_json")
def search():
    req = parse_request(request.args)
    data = search_data(req)
    from portal.render import wants_json
    if wants_json():
        return render("search.html", data)
    raw = {name: values for name, values in data["facets"].items()}
    return render("search.html", {**data, **_html_extras(req, data, raw)})
