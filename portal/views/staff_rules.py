"""/staff/rules (JSON twin /staff/rules.json): the circulation rules matrix as it applies to one library — what a
loan of each item type to each patron category gets — and the rows that make it, changed one cell at a time.

Everyone on the staff reads their own library's matrix (a county admin any library's, chosen with `?library=`).
A library-admin changes their own library's cells, a county admin any cell, the county-wide ones (no library)
included. A change is checked by `circulation.rules.check`, the same reading `grenselos rules set` uses, and
audited as `circulation_rule_changed` in the same transaction. A script posts JSON with an Authorization header.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from accounts import audit, roles
from circulation import rules as rules_mod
from circulation.tables import CATEGORIES
from portal import i18n, services
from portal.render import render, wants_json
from portal.security import no_store
from portal.staff import access
from portal.views.staff import negotiate, staff_page, submitted
from vocab import item_types

bp = Blueprint("staff_rules", __name__)
bp.before_request(negotiate)
bp.after_request(no_store)

RULE_CHANGED = "circulation_rule_changed"
CATEGORY_NAMES = {"adult": _l("Adults"), "child": _l("Children"), "pupil": _l("Pupils"), "staff": _l("Staff"),
                  "ill-library": _l("Other libraries (inter-library loan)")}
FIELD_NAMES = {"library": _l("Library"), "category": _l("Patron category"), "item_type": _l("Item type"),
               "loan_days": _l("Loan period (days)"), "renewals": _l("Renewals"), "loan_limit": _l("Loan limit"),
               "hold_limit": _l("Hold limit"), "replacement_fee": _l("Replacement fee (NOK)"), "note": _l("Note")}
CELL_FIELDS = ("library", "category", "item_type")


def _sources() -> list[str]:
    return [s.id for s in services.settings().sources]


def _name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found else library_id


def _library(who) -> str:
    library = request.args.get("library") or who.library or ""
    if library not in _sources():
        abort(404)
    if not roles.may_act_for(who, library):
        abort(403)
    return library


def _may_change(who, cell_library: str | None) -> bool:
    """County-wide rows are a county admin's; a library's rows its own admins' too."""
    if who.role == roles.COUNTY_ADMIN:
        return True
    return who.role == roles.LIBRARY_ADMIN and cell_library is not None and cell_library == who.library


def _problem_text(field: str, what: str) -> str:
    if what == rules_mod.TOO_LONG:
        return _("%(field)s: at most %(num)s characters.", field=FIELD_NAMES[field], num=rules_mod.NOTE_MAX)
    if what == rules_mod.UNKNOWN:
        return _("%(field)s: choose one of the values offered.", field=FIELD_NAMES[field])
    return _("%(field)s: a whole number, 0 or more.", field=FIELD_NAMES[field])


def _category_name(code: str | None) -> str:
    return str(CATEGORY_NAMES.get(code, code)) if code else _("Any category")


def _type_name(code: str | None) -> str:
    return item_types.label(code, i18n.current()) if code else _("Any item type")


def _row(rule: rules_mod.Rule, who, library: str) -> dict:
    out = rules_mod.as_dict(rule)
    out.update(library_name=_name(rule.library) if rule.library else _("All libraries"),
               category_name=_category_name(rule.category), item_type_name=_type_name(rule.item_type),
               may_change=_may_change(who, rule.library),
               change_url=url_for("staff_rules.page", library=library, cell_library=rule.library or "",
                                  category=rule.category or "", item_type=rule.item_type or "") + "#rule-form")
    return out


def _matrix(conn, library: str) -> list[dict]:
    """Per item type and category, the rule a loan here would get (the winner `rules.resolve` picks)."""
    out = []
    for code in item_types.codes():
        cells = []
        for category in CATEGORIES:
            rule = rules_mod.resolve(conn, library, category, code)
            lends = item_types.get(code).loanable and rule.loan_days > 0
            text = (ngettext("%(num)s day", "%(num)s days", rule.loan_days) + ", "
                    + ngettext("%(num)s renewal", "%(num)s renewals", rule.renewals)) if lends else _("Not for loan")
            cells.append({"category": category, "rule": rule.id, "loan_days": rule.loan_days if lends else 0,
                          "renewals": rule.renewals, "loan_limit": rule.loan_limit, "hold_limit": rule.hold_limit,
                          "loanable": lends, "text": text})
        out.append({"item_type": code, "name": _type_name(code), "cells": cells})
    return out


def _blank_form(library: str) -> dict:
    """The form's starting values: the cell named in the query (a row's "Change" link) with its rule's values,
    or, for a cell without a row, the values of the rule that applies to it now."""
    cell = {"library": request.args.get("cell_library", library) or None,
            "category": request.args.get("category") or None, "item_type": request.args.get("item_type") or None}
    with services.sql().connect() as conn:
        found = next((r for r in rules_mod.all_rules(conn)
                      if (r.library, r.category, r.item_type) == tuple(cell.values())), None)
        base = rules_mod.as_dict(found or rules_mod.resolve(conn, cell["library"] or "", cell["category"] or "",
                                                             cell["item_type"] or ""))
    if found is None:
        base["note"] = ""               # the winner's reason is not the new cell's
    return {**{k: base[k] for k in (*rules_mod.NUMBERS, "fees", "note")}, **cell}


def _data(who, library: str, form: dict, problems: dict[str, str], saved: bool) -> dict:
    with services.sql().connect() as conn:
        rows = [r for r in rules_mod.all_rules(conn) if r.library in (None, library)]
        matrix = _matrix(conn, library)
    rows.sort(key=lambda r: (r.library is not None, r.specificity, r.id))
    county = who.role == roles.COUNTY_ADMIN
    choices = _sources() if county else [who.library]
    return {"library": {"id": library, "name": _name(library)},
            "libraries": [{"id": i, "name": _name(i)} for i in choices],
            "may_edit": _may_change(who, library), "may_edit_county_wide": county,
            "categories": [{"code": c, "name": _category_name(c)} for c in CATEGORIES],
            "item_types": [{"code": c, "name": _type_name(c)} for c in item_types.codes()],
            "rules": [_row(r, who, library) for r in rows], "matrix": matrix, "form": form,
            "problems": {f: _problem_text(f, what) for f, what in problems.items()}, "saved": saved}


@bp.route("/staff/rules", methods=["GET", "POST"])
@bp.route("/staff/rules.json", methods=["GET", "POST"], endpoint="page_json")
@staff_page
def page():
    """GET: the matrix and its rows. POST (form or JSON): set one cell — `library` (empty: every library),
    `category`, `item_type` (empty: any), `loan_days`, `renewals`, `loan_limit`, `hold_limit`, `fees`,
    `replacement_fee`, `note` — as `grenselos rules set` does; 403 when the cell is not the poster's to change,
    400 with `problems` (field → message) when a value is refused."""
    who = access.principal()
    library = _library(who)
    if request.method == "GET":
        return render("staff_rules.html", _data(who, library, _blank_form(library), {},
                                                request.args.get("saved") == "1"))
    given = submitted()
    cell_library = str(given.get("library", "") or "").strip() or None
    if not _may_change(who, cell_library):
        abort(403)
    fields = {k: str(given.get(k, "") or "").strip() for k in (*CELL_FIELDS, *rules_mod.NUMBERS, "note")}
    fields["fees"] = str(given.get("fees", "")).strip().lower() in ("1", "on", "true", "yes")
    values, problems = rules_mod.check(_sources(), **fields)
    if problems:
        form = {**fields, **{k: values[k] for k in CELL_FIELDS}}
        return render("staff_rules.html", _data(who, library, form, problems, False), status=400)
    with services.sql().begin() as conn:
        rules_mod.put(conn, **values)
        audit.record(conn, RULE_CHANGED, library=values["library"] or who.library, principal=who.username,
                     client=access.client_address(),
                     target="/".join(values[k] or "*" for k in CELL_FIELDS),
                     detail=", ".join(f"{k}={values[k]}" for k in (*rules_mod.NUMBERS, "fees")))
    if not wants_json():
        return redirect(url_for("staff_rules.page", library=library, saved=1), code=303)
    return render("staff_rules.html", _data(who, library, _blank_form(library), {}, True))
