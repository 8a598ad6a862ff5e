"""The accessibility statement (`/accessibility`), which Norwegian law asks every public web service to publish.

It says what the automated tests check on every page type and what is known not to conform, so the
claim can be traced to tests/browser/ rather than taken on trust. The contact address is a setting
(`[portal] contact_email`): the people who run an installation answer for it, not the software.
"""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import gettext as _

from portal import services
from portal.render import render

bp = Blueprint("about", __name__)

#: The standard the statement measures against: the Norwegian regulation refers to WCAG 2.1 level AA.
STANDARD = "WCAG 2.1 AA"


def statement() -> dict:
    """What the statement says, as data; the HTML page and its JSON twin are two renderings of it."""
    contact = services.settings().portal.contact_email
    return {
        "standard": STANDARD,
        "conformance": "partial",
        "conformance_text": _("Grenseløs partly conforms to WCAG 2.1 level AA. The known exceptions are listed below."),
        "checks": [
            {"id": "axe", "text": _("axe-core checks the WCAG 2.1 A and AA rules on the search, result, record, "
                                    "work, library, list and error pages, in all four interface languages.")},
            {"id": "nu-html", "text": _("The W3C Nu HTML Checker checks that every type of page is valid HTML, "
                                        "in all four interface languages.")},
            {"id": "keyboard", "text": _("A keyboard-only walk goes from the front page through a search, a filter "
                                         "and a record and back, and checks that the focus is visible at every "
                                         "stop and that nothing happens before you choose it.")},
            {"id": "reflow", "text": _("Pages are checked at 320 pixels wide (400 % zoom): the page itself never "
                                       "scrolls sideways, and words in tables are never split.")},
        ],
        "known_issues": [
            {"id": "record-language", "text": _("Titles and summaries come from the libraries’ records. Where a record "
                                                "lacks its language code or has a wrong one, a screen reader may read "
                                                "the text with the wrong pronunciation.")},
            {"id": "linked-data", "text": _("The linked-data pages and the SPARQL query page are made for programmers: "
                                            "they show web addresses and query results in wide tables, which scroll "
                                            "sideways in their own area on a narrow screen.")},
            {"id": "user-testing", "text": _("The service has not yet been tested with screen readers by disabled "
                                             "users; automated tests find only some of the problems.")},
            {"id": "sami-text", "text": _("The Northern Sami interface has not yet been reviewed in full by a "
                                          "native speaker.")},
        ],
        "contact_email": contact or None,
        "supervisory_authority": {"name": "Tilsynet for universell utforming av IKT",
                                  "url": "https://www.uutilsynet.no/"},
        "json": url_for("about.accessibility_json"),
    }


@bp.route("/accessibility")
@bp.route("/accessibility.json", endpoint="accessibility_json")
def accessibility():
    return render("accessibility.html", {"statement": statement()})
