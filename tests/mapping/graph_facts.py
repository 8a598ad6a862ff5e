"""What a record's graph says about its titles, contributors and subjects, asked by SPARQL and nothing
else: the yardstick the projection tests hold search documents against. Deliberately independent of
index/projection.py (no shared code), so that a projection that drifts from the description fails.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pyoxigraph import NamedNode

PREFIXES = """PREFIX bf: <http://id.loc.gov/ontologies/bibframe/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
RELATOR = "http://id.loc.gov/vocabulary/relators/"
SCHEME = "http://id.loc.gov/vocabulary/subjectSchemes/"

TITLES = PREFIXES + """
SELECT ?g ?node ?kind ?part ?text WHERE { GRAPH ?g {
  ?instance bf:instanceOf ?work .
  { ?instance bf:title ?node . ?node a ?kind . FILTER(?kind IN (bf:Title, bf:VariantTitle, bf:ParallelTitle)) }
  UNION { ?work bf:expressionOf/bf:title ?node . BIND(bf:Work AS ?kind) }
  UNION { ?work bf:hasPart|bf:relatedTo ?related . ?related bf:title ?node . BIND(bf:relatedTo AS ?kind) }
  ?node ?part ?text . FILTER(?part IN (bf:mainTitle, bf:partNumber, bf:partName, bf:subtitle))
} }"""

CONTRIBUTORS = PREFIXES + """
SELECT ?g ?name ?role WHERE { GRAPH ?g {
  ?instance bf:instanceOf ?work . ?work bf:contribution ?c . ?c bf:agent/rdfs:label ?name .
  OPTIONAL { ?c bf:role ?role }
} }"""

SUBJECTS = PREFIXES + """
SELECT ?g ?s ?label ?source WHERE { GRAPH ?g {
  ?instance bf:instanceOf ?work . ?work bf:subject ?s . ?s rdfs:label ?label .
  OPTIONAL { ?s bf:source ?source }
} }"""


def words(text: str) -> tuple[str, ...]:
    """A title as its words: the punctuation a display puts between parts does not count."""
    return tuple(re.findall(r"\w+", text.casefold()))


def titles(store) -> dict[str, dict]:
    """graph → {"proper": [word tuples of each bf:Title], "subtitles": {...}, "all": {every title with its
    subtitle}, "uniform": {work titles}}."""
    nodes: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    kinds = {}
    for row in store.query(TITLES):
        key = (row["g"].value, row["node"].value)
        nodes[key][row["part"].value.rsplit("/", 1)[1]].append(row["text"].value)
        kinds[key] = row["kind"].value.rsplit("/", 1)[1]
    out: dict[str, dict] = defaultdict(lambda: {"proper": set(), "all": set(), "uniform": set()})
    for (graph, _node), parts in nodes.items():
        # an 880 gives a title a second mainTitle (and subtitle) in another script: the first, in sorted
        # order, is the title proper, each further one a title of its own among "all"
        mains = sorted(parts["mainTitle"]) or [""]
        subs = sorted(parts["subtitle"])
        rest = sorted(parts["partNumber"]) + sorted(parts["partName"])
        kind = kinds[(graph, _node)]
        for i, main in enumerate(mains):
            name = words(" ".join([main] + rest))
            if len(mains) > 1 and len(subs) == len(mains):
                sub = subs[i]
            else:
                sub = " ".join(subs) if i == 0 else ""
            subtitle = words(sub)
            if kind == "Work":
                if i == 0:
                    out[graph]["uniform"].add(name)
                continue
            if kind == "Title" and i == 0:
                out[graph]["proper"].add((name, subtitle))
            out[graph]["all"].add(name + subtitle)
    return out


def contributors(store) -> dict[str, dict[str, set[str]]]:
    """graph → {agent label: the relator codes its contributions name}."""
    out: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for row in store.query(CONTRIBUTORS):
        roles = out[row["g"].value].setdefault(row["name"].value, set())
        role = row["role"]
        if isinstance(role, NamedNode) and role.value.startswith(RELATOR):
            roles.add(role.value[len(RELATOR):])
    return out


def subjects(store) -> dict[str, dict[str, set[str]]]:
    """graph → {heading: the codes of the schemes it is from ('' when none)}."""
    per_node: dict[tuple, set[str]] = defaultdict(set)
    for row in store.query(SUBJECTS):
        schemes = per_node[(row["g"].value, row["s"], row["label"].value)]
        source = row["source"]
        if isinstance(source, NamedNode) and source.value.startswith(SCHEME):
            schemes.add(source.value[len(SCHEME):])
    out: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for (graph, _node, label), schemes in per_node.items():
        out[graph].setdefault(label, set()).update(schemes or {""})
    return out


def compare(doc, graph: str, title_facts, contributor_facts, subject_facts) -> list[str]:
    """What differs between a search document and its record's graph (titles, contributors, subjects)."""
    problems = []
    facts = title_facts.get(graph, {"proper": set(), "all": set(), "uniform": set()})
    if facts["proper"]:
        if (words(doc.title), words(doc.subtitle)) not in facts["proper"]:
            problems.append(f"title {doc.title!r} : {doc.subtitle!r} is no bf:Title of the graph")
    elif doc.title != "[untitled]":
        problems.append(f"title {doc.title!r} without a bf:Title in the graph")
    shown = {words(f"{doc.title} {doc.subtitle}")} if facts["proper"] else set()
    shown |= {words(v) for v in doc.title_variants}
    if shown != facts["all"]:
        problems.append(f"titles {sorted(shown ^ facts['all'])} differ")
    if (words(doc.uniform_title) if doc.uniform_title else None) not in (facts["uniform"] or {None}):
        problems.append(f"uniform title {doc.uniform_title!r} is not the work's ({facts['uniform']})")
    agents = contributor_facts.get(graph, {})
    if set(doc.contributors) != set(agents):
        problems.append(f"contributors {sorted(set(doc.contributors) ^ set(agents))} differ")
    for name, roles in zip(doc.contributors, doc.contributor_roles):
        if not agents.get(name, set()) <= set(roles.split(",")):
            problems.append(f"roles of {name!r}: {roles!r}, the graph says {sorted(agents.get(name, ()))}")
    headings = subject_facts.get(graph, {})
    indexed = {(vocab, h) for vocab, hs in doc.subjects.items() for h in hs}
    if {h for _v, h in indexed} != set(headings):
        problems.append(f"subjects {sorted({h for _v, h in indexed} ^ set(headings))} differ")
    problems += [f"subject {h!r} filed under {v!r}, the graph says {sorted(headings[h])}"
                 for v, h in indexed if h in headings and v not in headings[h]]
    return problems
