"""The copy-status vocabulary: one home for codes, order, labels and what they mean outside."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vocab import statuses

ROOT = Path(__file__).resolve().parents[2]


def test_codes_best_first_and_every_code_fully_described():
    codes = statuses.codes()
    assert codes[0] == "available" and codes[-1] == "unknown"
    assert statuses.best(["unknown", "on_loan", "in_transit"]) == "in_transit"
    assert statuses.best([]) == "unknown"
    for code in codes:
        status = statuses.get(code)
        assert status.schema_org in {"InStock", "InStoreOnly", "LimitedAvailability", "OutOfStock", "PreOrder",
                                     "Discontinued", "SoldOut", "OnlineOnly", "BackOrder", "PreSale"}, code
        assert status.ncip, code
        assert {"en", "nb", "nn", "se"} <= set(status.labels), code
    assert [c for c in codes if statuses.get(c).available_now] == ["available"]


def test_unknown_codes_and_words_fall_back_to_unknown():
    assert statuses.get("no-such-status").code == "unknown"
    assert statuses.from_word("") == "unknown" and statuses.from_word("Sjørøvd") == "unknown"
    assert statuses.from_word("Utlånt.") == "on_loan" and statuses.from_word(" ON SHELF ") == "available"
    assert statuses.from_word("savnet") == "missing"


@pytest.mark.parametrize("lang, text", [("nb", "Utlånt"), ("se", "Luoikkahuvvon"), ("en", "On loan")])
def test_labels_in_the_interface_languages(lang, text):
    assert statuses.label("on_loan", lang) == text


def test_no_other_module_lists_the_status_codes():
    """One reading of each fact: a tuple or dict naming three or more status codes outside vocab/ is a copy."""
    codes = set(statuses.codes())
    offenders = []
    for package in ("harvest", "transform", "index", "portal", "grenselos", "circulation", "accounts", "lists"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Tuple | ast.List | ast.Set):
                    values = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                elif isinstance(node, ast.Dict):
                    values = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                else:
                    continue
                if len(values & codes) >= 3:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
