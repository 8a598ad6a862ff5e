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
from pathlib import Path
from typing import Sequence

import pymarc
from pyoxigraph import Literal, NamedNode, Triple

from core.errors import GrenselosError
from transform import bibframe, engine, holdings as holdings_mod
from transform.engine import Env
from transform.languages import record_languages

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
    holdings: Sequence[pymarc.Record] = ()
    directory: object = None      # vocab.libraries.Directory of the configuration; None: this source alone


@dataclass
class Conversion:
    instance_uri: str
    work_uri: str
    triples: list[Triple]
    warnings: list[str] = dc_field(default_factory=list)
    languages: object = None      # transform.languages.RecordLanguages (codes only, no detection)


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

    def convert(self, record: pymarc.Record, ctx: ConvertContext) -> Conversion:
        if record is None:
            raise ConversionError(f"{ctx.source_id} {ctx.record_id}: no record")
        leader = str(record.leader or "")
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
        for f in record.fields:
            tag = f.tag
            if tag == "880":
                f = self._linked(f)
                if f is None:
                    unmapped["880"] = unmapped.get("880", 0) + 1
                    continue
                tag = f.tag
            if tag in self.blocks:
                self._run(env, f)
                if not f.is_control_field():
                    known = self.codes[tag]
                    for sf in f.subfields:
                        if sf.code not in known:
                            key = f"{tag}${sf.code}"
                            unmapped[key] = unmapped.get(key, 0) + 1
            elif tag not in consumed and tag not in self.tables.ignored:
                unmapped[tag] = unmapped.get(tag, 0) + 1
        env.tag = ""
        if env.languages is None:   # neither 008 nor 041: the pipeline still needs to know (missing)
            env.languages = record_languages(record, ctx.source_id, detect=False)
        try:
            holdings_mod.add_items(env, record, ctx)
        except Exception as exc:  # a broken holding must not cost the record
            env.warn(f"holdings could not be read: {type(exc).__name__}: {exc}")
        for key, count in unmapped.items():
            env.warnings.append(f"unmapped {key}" + (f" ({count}×)" if count > 1 else ""))
        triples = [Triple(s, p, o) for s, p, o in dict.fromkeys(env.triples)]
        return Conversion(instance_iri, work_iri, triples, env.warnings, env.languages)

    def _linked(self, f):
        """An 880 (alternate script) read as the field it pairs with ($6 `245-01/(N`), or None."""
        link = f.get("6") or ""
        tag = link[:3]
        if tag not in self.blocks or tag < "010":
            return None
        return pymarc.Field(tag=tag, indicators=f.indicators, subfields=f.subfields)

    def _run(self, env: Env, f):
        env.tag = f.tag
        for run in self.blocks.get(f.tag, ()):
            mark = len(env.triples)
            try:
                run(f, env)
            except Exception as exc:  # one bad field is reported and skipped, never the whole record
                del env.triples[mark:]
                env.warn(f"field could not be converted ({type(exc).__name__}: {exc}): {f}")


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
    return "koha-952" if record.get("952") is not None else "marc-852"


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
