"""MARC21 bibliographic record → BIBFRAME 2 triples (Work, Instance, Items), the API other stages call.

    conv = Converter(base_uri)                  # loads and checks the mapping tables once
    result = conv.convert(record, ConvertContext(source_id, record_id, ...))

The output is deterministic: inner resources get IRIs from the instance IRI and a per-record counter
(`{instance}#title-1`), agents get IRIs from their normalised heading so the same person catalogued by
two libraries is one resource, and triples come out in record order, de-duplicated. Nothing in the
record is dropped silently: fields and subfields the tables do not map are listed in `warnings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from functools import cached_property
from pathlib import Path
from typing import Sequence

from pyoxigraph import Literal, NamedNode, Triple

from core.errors import GrenselosError
from harvest.marcdata import DataField, MarcData
from transform import bibframe, engine, holdings as holdings_mod, readings
from transform.engine import Env
from transform.languages import record_languages
from vocab.languages import bcp47

_T = bibframe.term
TYPE = _T("rdf:type")
INSTANCE, WORK = _T("bf:Instance"), _T("bf:Work")
INSTANCE_OF, HAS_INSTANCE = _T("bf:instanceOf"), _T("bf:hasInstance")

#: Subfields no table needs to name: linkage ($6), field link ($8).
_ALWAYS_KNOWN = frozenset("68")


class ConversionError(GrenselosError):
    """One record cannot be converted at all (the batch goes on; the caller quarantines it)."""


@dataclass(frozen=True)
class ConvertContext:
    source_id: str
    record_id: str
    isil: str = ""
    holdings_profile: str = "marc-852"
    work_id: str | None = None
    holdings: Sequence[MarcData] = ()
    directory: object = None      # vocab.libraries.Directory of the configuration; None: this source alone


@dataclass
class Conversion:
    instance_uri: str
    work_uri: str
    terms: list[tuple]            # (subject, predicate, object), record order, no duplicates
    warnings: list[str] = dc_field(default_factory=list)
    languages: object = None      # transform.languages.RecordLanguages (codes only, no detection)

    @cached_property
    def triples(self) -> list[Triple]:
        """The terms as pyoxigraph Triples. Built only when asked: making one costs about 3 µs, and the
        pipeline, the graph store and the packed description all read the plain tuples."""
        return [Triple(s, p, o) for s, p, o in self.terms]


class _Leader:
    """The leader presented as a control field, so `field LDR` blocks read it with [positions]."""
    tag = "LDR"
    indicators = None
    subfields = ()

    def __init__(self, data: str):
        self.data = data

    @staticmethod
    def is_control_field() -> bool:
        return True


class Converter:
    def __init__(self, base_uri: str, mapping_dir: str | Path | None = None):
        self.base = base_uri.rstrip("/")
        self.tables = engine.load(mapping_dir)
        self.blocks = {tag: tuple(b.run for b in blocks) for tag, blocks in self.tables.blocks.items()}
        self.codes = {tag: frozenset().union(*(b.codes for b in blocks)) | _ALWAYS_KNOWN
                      for tag, blocks in self.tables.blocks.items()}

    def convert(self, record: MarcData, ctx: ConvertContext) -> Conversion:
        if record is None:
            raise ConversionError(f"{ctx.source_id} {ctx.record_id}: no record")
        leader = record.leader or ""
        if len(leader) != 24:
            raise ConversionError(f"{ctx.source_id} {ctx.record_id}: leader is {len(leader)} characters, not 24")
        instance_iri = f"{self.base}/instance/{ctx.source_id}-{ctx.record_id}"
        work_iri = f"{self.base}/work/{ctx.work_id or f'{ctx.source_id}-{ctx.record_id}'}"
        env = Env(self.base, instance_iri, work_iri, record, ctx)
        env.maps = self.tables.maps
        env.add(env.instance, TYPE, INSTANCE)
        env.add(env.instance, INSTANCE_OF, env.work)
        env.add(env.work, TYPE, WORK)
        env.add(env.work, HAS_INSTANCE, env.instance)
        self._run(env, _Leader(leader))
        consumed = holdings_mod.consumed(ctx.holdings_profile)
        unmapped: dict[str, int] = {}
        spans: dict[str, tuple[str, int, int]] = {}     # 880 occurrence → (tag, first, end) of its triples
        alternates = []
        for f in record.fields:
            tag = f.tag
            if tag == "880":
                alternates.append(f)
                continue
            if tag in self.blocks:
                mark = len(env.triples)
                self._run(env, f)
                link = f.get("6") if not f.is_control_field() else None
                if link and link[:3] == "880" and link[4:6].isdigit():
                    spans[link[4:6]] = (tag, mark, len(env.triples))
                if not f.is_control_field():
                    known = self.codes[tag]
                    for sf in f.subfields:
                        if sf.code not in known:
                            key = f"{tag}${sf.code}"
                            unmapped[key] = unmapped.get(key, 0) + 1
            elif tag not in consumed and tag not in self.tables.ignored:
                unmapped[tag] = unmapped.get(tag, 0) + 1
        for f in alternates:
            linked = self._linked(f)
            if linked is None:
                unmapped["880"] = unmapped.get("880", 0) + 1
                continue
            self._alternate(env, linked, spans.get((f.get("6") or "")[4:6]))
            known = self.codes[linked.tag]
            for sf in linked.subfields:
                if sf.code not in known:
                    key = f"880/{linked.tag}${sf.code}"
                    unmapped[key] = unmapped.get(key, 0) + 1
        env.tag = ""
        if env.languages is None:   # neither 008 nor 041: the pipeline still needs to know (missing)
            env.languages = record_languages(record, ctx.source_id, detect=False)
        try:
            holdings_mod.add_items(env, record, ctx)
        except Exception as exc:  # a broken holding must not cost the record
            env.warn(f"holdings could not be read: {type(exc).__name__}: {exc}")
        for key, count in unmapped.items():
            env.warnings.append(f"unmapped {key}" + (f" ({count}×)" if count > 1 else ""))
        return Conversion(instance_iri, work_iri, list(dict.fromkeys(env.triples)), env.warnings, env.languages)

    def _linked(self, f):
        """An 880 (alternate script) read as the field it pairs with ($6 `245-01/(N`), or None."""
        link = f.get("6") or ""
        tag = link[:3]
        if tag not in self.blocks or tag < "010":
            return None
        return DataField(tag, *(f.indicators or (" ", " ")), f.subfields)

    def _alternate(self, env: Env, f, span):
        """An 880's vernacular text as second, language- and script-tagged literals on the resources its
        paired field made (one person, one title, one statement — never a second agent or title).

        The 880 runs through the paired field's blocks into a scratch list; each resource it mints is
        matched to the paired field's resource reached by the same property from the same (matched)
        subject, so `(work) bf:contribution/bf:agent/rdfs:label "陈琪"` lands on the agent "Chen, Qi"
        already has. Literals equal to the paired field's (dates, numbers) are not repeated; a resource
        with no counterpart (an unpaired 880, `$6 245-00`) is kept as it is, its text tagged."""
        tag = language_tag(env.record, f.get("6") or "", self.tables.maps.get("script-880", {}))
        mark = len(env.triples)
        self._run(env, f)
        scratch = env.triples[mark:]
        del env.triples[mark:]
        original = env.triples[span[1]:span[2]] if span and span[0] == f.tag else []
        by_pair: dict[tuple, list] = {}
        for s, p, o in original:
            by_pair.setdefault((s, p), []).append(o)
        inner = (env.instance_iri + "#", env.base + "/agent/")
        children: dict = {}
        for s, p, o in scratch:
            children.setdefault(s, []).append((p, o))
        mapped: dict = {}
        taken: set = set()
        queue = [env.instance, env.work]
        for node in queue:          # from the Instance and Work down, so a parent is matched first
            for p, o in children.get(node, ()):
                if isinstance(o, NamedNode) and o.value.startswith(inner) and o not in mapped:
                    twin = next((x for x in by_pair.get((mapped.get(node, node), p), ())
                                 if isinstance(x, NamedNode) and x.value.startswith(inner) and x not in taken),
                                None)
                    mapped[o] = twin or o
                    if twin is not None:
                        taken.add(twin)
                    queue.append(o)
        for s, p, o in scratch:
            s2 = mapped.get(s, s)
            if isinstance(o, NamedNode):
                env.add(s2, p, mapped.get(o, o))
            elif isinstance(o, Literal) and o.datatype.value == _XSD_STRING and not o.language:
                if o not in by_pair.get((s2, p), ()):
                    env.add(s2, p, Literal(o.value, language=tag) if tag else o)
            else:
                env.add(s2, p, o)

    def _run(self, env: Env, f):
        env.tag = f.tag
        for run in self.blocks.get(f.tag, ()):
            mark = len(env.triples)
            try:
                run(f, env)
            except Exception as exc:  # one bad field is reported and skipped, never the whole record
                del env.triples[mark:]
                env.warn(f"field could not be converted ({type(exc).__name__}: {exc}): {f}")


_XSD_STRING = bibframe.XSD + "string"
_SCRIPT_LANGUAGES = {("Hani", "ja"): "Jpan", ("Hani", "ko"): "Kore"}


def language_tag(record, link: str, scripts: dict) -> str:
    """The BCP 47 tag of an 880's text: the record's language (008/35-37) and the script its $6 names
    (`245-01/(N` → Cyrillic): `ru-Cyrl`, `zh-Hani`, `ja-Jpan`; `und-Arab` when the language is unknown."""
    code = readings.first(record, "languages.fixed")
    lang = (bcp47(code) if len(code) == 3 else None) or "und"
    script = scripts.get(link[7:9]) if len(link) >= 9 else None
    if not script:
        return lang if lang != "und" else ""
    script = _SCRIPT_LANGUAGES.get((script, lang), script)
    return f"{lang}-{script}"


def dataset_description(base_uri: str) -> list[Triple]:
    """The dataset resource that records which BIBFRAME version the output follows."""
    ds = NamedNode(base_uri.rstrip("/") + "/dataset")
    void = bibframe.VOID
    return [
        Triple(ds, TYPE, NamedNode(void + "Dataset")),
        Triple(ds, NamedNode(void + "vocabulary"), NamedNode(bibframe.BF)),
        Triple(ds, NamedNode(void + "vocabulary"), NamedNode(bibframe.BFLC)),
        Triple(ds, NamedNode(bibframe.DCTERMS + "conformsTo"),
               NamedNode(f"http://id.loc.gov/ontologies/bibframe-{bibframe.BIBFRAME_VERSION.replace('.', '-')}/")),
        Triple(ds, NamedNode(bibframe.OWL + "versionInfo"),
               Literal(f"BIBFRAME {bibframe.BIBFRAME_VERSION}")),
    ]


def _profile_for(record, holdings: Sequence, requested: str) -> str:
    if requested != "auto":
        return requested
    if holdings:
        return "marcxchange-holdings"
    return "koha-952" if readings.present(record, "holdings.koha") else "marc-852"


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a directory stands for the MARC files below it (*.xml, *.mrc, *.marc, *.iso)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MARC_SUFFIXES)
        else:
            out.append(p)
    return out


MARC_SUFFIXES = (".xml", ".mrc", ".marc", ".iso", ".dat", ".utf8", ".mrk")


def convert_files(paths: Sequence[str | Path], out, err, fmt: str = "nt", base_uri: str = "http://localhost:5000",
                  source_id: str = "local", holdings_profile: str = "auto", isil: str = "",
                  stats=None, encoding: str | None = None) -> tuple[int, int]:
    """Convert MARC files to RDF on `out` (binary); report bad records on `err` (text).

    Returns (converted, bad). Holdings records in the same file are attached to their bibliographic
    record by 004 (marcxchange-holdings); a record with 952 fields is read as Koha. With `stats` (a
    `construct_stats.Tally`) nothing is written: each record's triples are counted instead.
    `encoding` names the character set of ISO 2709 files whose leader cannot be trusted.
    """
    from transform import marcfiles
    from transform.serialize import StreamWriter

    converter = Converter(base_uri)
    writer = None
    if stats is None:
        writer = StreamWriter(out, fmt)
        writer.write(dataset_description(base_uri))
    converted = bad = 0
    for path in expand_paths(paths):
        items = list(marcfiles.read_file(path, encoding=encoding))
        bibs, holdings = marcfiles.group_holdings(items)
        for item in bibs:
            if item.record is None:
                bad += 1
                err.write(f"{item.where()}: skipped: {item.error}\n")
                continue
            linked = holdings.get(item.control_number, []) if item.control_number else []
            ctx = ConvertContext(source_id, item.record_id(), isil=isil, holdings=tuple(linked),
                                 holdings_profile=_profile_for(item.record, linked, holdings_profile))
            try:
                result = converter.convert(item.record, ctx)
            except Exception as exc:  # report and skip; the other records still convert
                bad += 1
                err.write(f"{item.where()}: skipped: {type(exc).__name__}: {exc}\n")
                continue
            for warning in item.warnings:
                err.write(f"{item.where()}: warning: {warning}\n")
            if stats is None:
                writer.write(result.triples)
            else:
                stats.add(result.triples)
            converted += 1
        known = {i.control_number for i in bibs if i.record is not None}
        for parent, records in holdings.items():
            if parent not in known:
                err.write(f"{path}: {len(records)} holdings record(s) link by 004 to {parent or '(none)'}, "
                          "which is not in the file; not converted\n")
    if writer is not None:
        writer.close()
    return converted, bad
