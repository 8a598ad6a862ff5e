"""Counts of the BIBFRAME constructs a catalogue relies on, read from any graph (ours or LC's).

`grenselos convert --stats` and `bench/lc_parity.py` use the same counter on both converters'
output, so the parity table of issue 13 can be repeated by anyone: the counts look only at the RDF,
never at the MARC, and at terms both converters share (BIBFRAME, and MADS/RDF for subject components).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

BF = "http://id.loc.gov/ontologies/bibframe/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MADS = "http://www.loc.gov/mads/rdf/v1#"

#: (key, label) in the order the table prints.
ROWS = (
    ("work_title", "the record's own Work carries a title (bf:title on the Work)"),
    ("contribution_role", "contributions with a role"),
    ("subject_components", "subjects with components (madsrdf:componentList)"),
    ("geographic_coverage", "geographic coverage (bf:geographicCoverage)"),
    ("illustrative", "illustrative content (bf:illustrativeContent)"),
    ("content", "content types (bf:content)"),
    ("media", "media types (bf:media)"),
    ("carrier", "carrier types (bf:carrier)"),
    ("admin_metadata", "admin metadata (triples whose subject is a bf:AdminMetadata)"),
    ("authority_iris", "authority IRIs on agents and subjects (distinct, outside the base)"),
    ("oclc_number", "bf:OclcNumber identifiers"),
    ("expression_of", "bf:expressionOf links"),
    ("hub", "bf:Hub resources"),
    ("triples", "triples"),
    ("records", "Instances with bf:instanceOf (LC: also secondary Instances)"),
)


def _value(term) -> str:
    return getattr(term, "value", str(term))


def count(triples: Iterable, base: str = "", authorities: set | None = None) -> Counter:
    """The construct counts of one or many records' triples (subjects/objects as pyoxigraph terms).

    Counts add up over records except the distinct authority IRIs: pass one `authorities` set for a
    whole run and read its length at the end (`Tally` does this)."""
    by_subject: dict[str, list[tuple[str, object]]] = {}
    counts = Counter()
    for t in triples:
        counts["triples"] += 1
        by_subject.setdefault(_value(t.subject), []).append((_value(t.predicate), t.object))
    types = {s: {_value(o) for p, o in po if p == RDF_TYPE} for s, po in by_subject.items()}
    works, admins = set(), set()
    authorities = set() if authorities is None else authorities
    for s, po in by_subject.items():
        for p, o in po:
            if p == BF + "instanceOf":
                works.add(_value(o))
            elif p == BF + "adminMetadata":
                admins.add(_value(o))
    for s, po in by_subject.items():
        kinds = types.get(s, ())
        if BF + "Instance" in kinds and BF + "instanceOf" in {p for p, _ in po}:
            counts["records"] += 1
        if BF + "OclcNumber" in kinds:
            counts["oclc_number"] += 1
        if BF + "Hub" in kinds:
            counts["hub"] += 1
        for p, o in po:
            local = p[len(BF):] if p.startswith(BF) else ""
            if local == "title" and s in works:
                counts["work_title"] += 1
            elif local in ("geographicCoverage", "content", "media", "carrier", "expressionOf"):
                counts[{"geographicCoverage": "geographic_coverage",
                        "expressionOf": "expression_of"}.get(local, local)] += 1
            elif local == "illustrativeContent":
                counts["illustrative"] += 1
            elif local == "contribution":
                if any(p2 == BF + "role" for p2, _ in by_subject.get(_value(o), ())):
                    counts["contribution_role"] += 1
            elif local in ("agent", "subject"):
                iri = _value(o)
                if iri.startswith(("http://", "https://")) and not (base and iri.startswith(base)) \
                        and type(o).__name__ == "NamedNode":
                    authorities.add(iri)
            elif p == MADS + "componentList":
                counts["subject_components"] += 1
    # admin metadata: the triples whose subject is an AdminMetadata resource
    for node in admins:
        counts["admin_metadata"] += len(by_subject.get(node, ()))
    counts["authority_iris"] = len(authorities)
    return counts


class Tally:
    """Running counts over many records, with memory bounded by the distinct authority IRIs."""

    def __init__(self, base: str = ""):
        self.base, self.counts, self.authorities = base, Counter(), set()

    def add(self, triples: Iterable) -> None:
        c = count(triples, self.base, self.authorities)
        del c["authority_iris"]
        self.counts.update(c)

    def result(self) -> Counter:
        out = Counter(self.counts)
        out["authority_iris"] = len(self.authorities)
        return out


def table(ours: Counter, theirs: Counter | None = None, reasons: dict[str, str] | None = None) -> str:
    """A plain-text table; with `theirs`, LC's figure and (below it) our reason where we trail."""
    lines = []
    for key, label in ROWS:
        if theirs is None:
            lines.append(f"{ours.get(key, 0):>9}  {label}")
        else:
            a, b = ours.get(key, 0), theirs.get(key, 0)
            mark = "" if a >= b or key in ("triples", "records") else "  (below LC"
            if mark:
                mark += f": {reasons[key]})" if reasons and key in reasons else \
                    f"; reason: transform/mapping/README.md, `{key}`)"
            lines.append(f"{a:>9} {b:>9}  {label}{mark}")
    head = f"{'ours':>9}  construct" if theirs is None else f"{'ours':>9} {'LC':>9}  construct"
    return "\n".join([head] + lines) + "\n"
