"""The rules matrix, resolved most specific first: library × patron category × item type.

Why data and not settings: a county admin changes loan periods and limits while the system runs, and
`grenselos rules explain` must be able to say which row applied and which it beat. A NULL cell means
"any"; among the rows that match, the one naming the item type wins over one naming the category, which
wins over one naming only the library (Koha's circulation_rules order). The migration seeds a county-wide
default row, so a match always exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from circulation.tables import CATEGORIES, circulation_rules
from vocab import item_types

#: The numbers of a rule, each a whole number ≥ 0 (in the order `grenselos rules set` and /staff/rules ask them).
NUMBERS = ("loan_days", "renewals", "loan_limit", "hold_limit", "replacement_fee")
NOTE_MAX = 255

#: What `check` can find wrong with a field.
UNKNOWN, NOT_A_NUMBER, TOO_LONG = "unknown", "not_a_number", "too_long"


@dataclass(frozen=True)
class Rule:
    id: int
    library: str | None
    category: str | None
    item_type: str | None
    loan_days: int
    renewals: int
    loan_limit: int
    hold_limit: int
    fees: bool
    note: str
    #: Whole kroner a replacement claim asks for a lost copy, when `fees` is on.
    replacement_fee: int = 0

    @property
    def specificity(self) -> int:
        return (self.item_type is not None) * 4 + (self.category is not None) * 2 + (self.library is not None)

    def describe(self) -> str:
        return (f"rule #{self.id} (library {self.library or '*'}, category {self.category or '*'}, "
                f"item type {self.item_type or '*'})")


#: What applies when even the default row was deleted: lend nothing rather than guess.
NOTHING = Rule(0, None, None, None, 0, 0, 0, 0, False, "no rule matches")


def _rule(r) -> Rule:
    return Rule(r.id, r.library, r.category, r.item_type, r.loan_days, r.renewals, r.loan_limit, r.hold_limit,
                bool(r.fees), r.note, r.replacement_fee or 0)


def candidates(conn, library: str, category: str, item_type: str) -> list[Rule]:
    """Every row matching the three, the winner first."""
    c = circulation_rules.c
    rows = conn.execute(select(circulation_rules).where(and_(
        or_(c.library.is_(None), c.library == library),
        or_(c.category.is_(None), c.category == category),
        or_(c.item_type.is_(None), c.item_type == item_type))))
    return sorted((_rule(r) for r in rows), key=lambda rule: (-rule.specificity, rule.id))


def resolve(conn, library: str, category: str, item_type: str) -> Rule:
    found = candidates(conn, library, category, item_type)
    return found[0] if found else NOTHING


def all_rules(conn) -> list[Rule]:
    return [_rule(r) for r in conn.execute(select(circulation_rules).order_by(circulation_rules.c.id))]


def put(conn, *, library=None, category=None, item_type=None, loan_days: int, renewals: int, loan_limit: int,
        hold_limit: int, fees: bool = False, note: str = "", replacement_fee: int = 0) -> None:
    """Add or replace the row for exactly these three cells (NULL-safe, which a unique index is not)."""
    c = circulation_rules.c
    match = and_(c.library.is_(None) if library is None else c.library == library,
                 c.category.is_(None) if category is None else c.category == category,
                 c.item_type.is_(None) if item_type is None else c.item_type == item_type)
    values = {"loan_days": loan_days, "renewals": renewals, "loan_limit": loan_limit, "hold_limit": hold_limit,
              "fees": fees, "note": note, "replacement_fee": replacement_fee}
    if conn.execute(circulation_rules.update().where(match).values(**values)).rowcount == 0:
        conn.execute(circulation_rules.insert().values(library=library, category=category, item_type=item_type,
                                                       **values))


def check(libraries, *, library=None, category=None, item_type=None, fees: bool = False, note: str = "",
          **numbers) -> tuple[dict, dict[str, str]]:
    """One reading of a requested cell for both `grenselos rules set` and /staff/rules: the keyword arguments
    for `put` (numbers as ints) and the problems found, field → `UNKNOWN`, `NOT_A_NUMBER` or `TOO_LONG`.

    `libraries` are the configured source ids; `None` (or "") for library, category or item type means
    "any". Why here and not in each caller: the CLI and the web page must refuse exactly the same cells."""
    problems: dict[str, str] = {}
    library, category, item_type = library or None, category or None, item_type or None
    if library is not None and library not in set(libraries):
        problems["library"] = UNKNOWN
    if category is not None and category not in CATEGORIES:
        problems["category"] = UNKNOWN
    if item_type is not None and item_type not in item_types.codes():
        problems["item_type"] = UNKNOWN
    values: dict = {"library": library, "category": category, "item_type": item_type}
    for name in NUMBERS:
        raw = numbers.get(name, 0 if name == "replacement_fee" else None)
        text = str(raw).strip() if raw is not None else ""
        if isinstance(raw, bool) or not text.isdigit() or not text.isascii():
            problems[name] = NOT_A_NUMBER
        else:
            values[name] = int(text)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        problems["note"] = TOO_LONG
    values["note"] = note
    values["fees"] = bool(fees)
    return values, problems


def explain(conn, *, library: str, category: str, item_type: str) -> dict:
    """Which row applies to a (lending library, patron category, item type) and which rows it beat, for
    `grenselos rules explain` and the desk."""
    found = candidates(conn, library, category, item_type)
    winner = found[0] if found else NOTHING
    return {"library": library, "category": category, "item_type": item_type,
            "rule": as_dict(winner), "beaten": [as_dict(r) for r in found[1:]]}


def as_dict(rule: Rule) -> dict:
    return {"id": rule.id, "library": rule.library, "category": rule.category, "item_type": rule.item_type,
            "loan_days": rule.loan_days, "renewals": rule.renewals, "loan_limit": rule.loan_limit,
            "hold_limit": rule.hold_limit, "fees": rule.fees,
            "replacement_fee": rule.replacement_fee, "note": rule.note, "describe": rule.describe()}
