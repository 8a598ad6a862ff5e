"""The OAI-PMH 2.0 provider over the merged catalogue: the protocol's logic, free of Flask.

What it serves: every bibliographic record the transform stage has converted (`status = ok`) or
seen deleted (`deleted`, reported as a deleted header for ever: deletedRecord `persistent`). The
datestamp is the record's `transform_records.updated_at` at seconds granularity, so a record that
changed, moved to another work or was deleted shows up in the next incremental harvest.

Identifiers follow the national pattern `oai:<domain>:<ISIL>:<local id>` (domain from `base_uri`,
the source's ISIL or else its id, the stable record id of the URIs). Resumption tokens are keyset
cursors (last datestamp, source, identifier) rather than offsets, so records added, changed or
deleted during a harvest never make it skip a record: a changed record only moves to the end. They are
signed (HMAC-SHA256 under a key derived from the portal's secret key), so the provider only ever reads
back what it issued itself: a forged or altered token, or one from before a key change, is
badResumptionToken without its contents being looked at. A `until` so late that the day after it
cannot be written (9999-12-31) is a legal datestamp meaning "no upper bound", and is taken so.

Metadata formats: `marc21` (MARCXML slim), `marcxchange` (ISO 25577, the bibliographic record with
its holdings records in one collection, as Biblioteksøk expects), `oai_dc`, and `bibframe`
(the record's BIBFRAME 2 graph as RDF/XML).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from lxml import etree
from sqlalchemy import and_, func, literal, or_, select, tuple_

from harvest.tables import records
from transform.changes import record_languages
from transform import overlays
from transform.tables import transform_records
from vocab import licences
from vocab.languages import SAMI_GROUP
from portal.oai_metadata import metadata_for
from portal.oai_namespaces import MARCX, OAI, OAI_DC, OAI_ID, RDF, SLIM, XSI

log = logging.getLogger(__name__)

FORMATS = {
    "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", SLIM),
    "marcxchange": ("http://www.loc.gov/standards/iso25577/marcxchange-1-1.xsd", MARCX),
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "bibframe": ("http://id.loc.gov/ontologies/bibframe.rdf", RDF),
}
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
LANGUAGE_GROUPS = {
    "sami": ("Sami languages", tuple(sorted(SAMI_GROUP))),
    "norwegian": ("Norwegian (Bokmål and Nynorsk)", ("nor", "nob", "nno")),
    "kven": ("Kven", ("fkv",)),
    "meankieli": ("Meänkieli", ("fit",)),
}
KIND_NAMES = {"public": "Public libraries", "school": "School libraries", "national": "National services",
              "digital": "Shared digital resources"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# Value spaces of the official OAI-PMH.xsd and oai-identifier.xsd: an argument the response would echo
# in <request> must fit them (else it is badArgument), and what the provider writes must too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PREFIX_SYNTAX = _SET_PART = re.compile(r"[A-Za-z0-9_.!~*'()-]+")
# an IRI (RFC 3987), as XML Schema's anyURI allows: a source id without an ISIL may be non-ASCII
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:"
                  r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]|%[0-9A-Fa-f]{2})+")
_EMAIL = re.compile(r"\S+@(\S+\.)+\S+")
_REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+")
_SAMPLE_LOCAL = re.compile(r"[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+")


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Item:
    source: str
    identifier: str
    record_id: str
    status: str
    updated_at: datetime
    marcxml: str | None
    control_number: str | None
    languages: tuple[str, ...] = ()


def language_specs(codes) -> list[str]:
    """The language sets a record belongs to, as ListSets names them: its groups (`language:sami`),
    then each code that is a set of its own, so a harvester sees in the header what `set=` selects."""
    codes = [c for c in codes if c not in LANGUAGE_GROUPS and re.fullmatch(r"[a-z]{2,8}", c)]
    groups = [f"language:{g}" for g, (_name, members) in LANGUAGE_GROUPS.items() if any(c in members for c in codes)]
    return groups + [f"language:{c}" for c in codes]


def set_part(value: str) -> str:
    """A source id as one part of a setSpec: itself when it fits the protocol's setSpec characters
    (ASCII letters, digits and -_.!~*'()), else its Punycode with an `xn--` prefix, as IDNA does."""
    if _SET_PART.fullmatch(value):
        return value
    return "xn--" + value.encode("punycode").decode("ascii")


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def stamp(value: datetime) -> str:
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: str, name: str) -> tuple[datetime, str]:
    """An OAI datestamp argument → (UTC datetime, granularity); badArgument when malformed."""
    try:
        if _DAY.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc), "day"
        if _SECONDS.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc), "seconds"
    except ValueError:
        pass
    raise OaiError("badArgument", f"{name}={value!r} is not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")


TOKEN_PURPOSE = b"grenselos oai-pmh resumptionToken v1"
SIGNATURE_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OaiProvider:
    def __init__(self, settings, engine, graph=None, record_store=None, *, secret: str | bytes):
        """`secret`: the portal's secret key; resumption tokens are signed with a key derived from it."""
        secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._token_key = hmac.new(secret, TOKEN_PURPOSE, hashlib.sha256).digest()
        self.settings = settings
        self.engine = engine
        self.graph = graph                    # callable returning the GraphStore (for bibframe)
        self.record_store = record_store      # for holdings records (marcxchange)
        self.domain = urlsplit(settings.base_uri).hostname or "localhost"
        self.page_size = max(1, settings.oai.page_size)
        # Only sources whose licence allows republication are served at all (`vocab.licences.publishable`):
        # a withheld record is in no list, no set, and GetRecord answers idDoesNotExist.
        published = set(licences.published_sources(settings))
        self.sources = {s.id: s for s in settings.sources if s.id in published}
        self.source_sets = {set_part(s.id): s.id for s in self.sources.values()}
        # adminEmail must be a dotted address; a development base_uri (localhost) has no such domain.
        candidates = (settings.oai.admin_email, f"postmaster@{self.domain}")
        self.admin_email = next((e for e in candidates if _EMAIL.fullmatch(e)), "postmaster@localhost.localdomain")
        if settings.oai.admin_email and self.admin_email != settings.oai.admin_email:
            log.warning("OAI-PMH: admin_email %r is not an e-mail address; Identify reports %s",
                        settings.oai.admin_email, self.admin_email)
        self.prefixes = sorted(((f"oai:{self.domain}:{s.isil or s.id}:", s.id) for s in self.sources.values()),
                               key=lambda p: len(p[0]), reverse=True)

    # -- the entry point -----------------------------------------------------------------------

    def handle(self, args, base_url: str, now: datetime | None = None) -> bytes:
        """Answer one request (`args`: a MultiDict of the query or form); always an OAI-PMH document."""
        now = now or datetime.now(timezone.utc)
        root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
        etree.SubElement(root, f"{{{OAI}}}responseDate").text = stamp(now)
        request = etree.SubElement(root, f"{{{OAI}}}request")
        request.text = base_url
        try:
            verb, single = self._check(args)
            for key, value in single.items():
                request.set(key, value)
            getattr(self, "_" + verb)(root, single)
        except OaiError as err:
            if err.code in ("badVerb", "badArgument"):
                request.attrib.clear()
            for child in list(root)[2:]:
                root.remove(child)
            error = etree.SubElement(root, f"{{{OAI}}}error", code=err.code)
            error.text = err.message
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _check(self, args) -> tuple[str, dict]:
        verbs = args.getlist("verb")
        if len(verbs) != 1 or verbs[0] not in VERBS:
            raise OaiError("badVerb", "missing, repeated or unknown verb" if len(verbs) != 1 else
                           f"{verbs[0]!r} is not an OAI-PMH verb")
        verb = verbs[0]
        required, optional = VERBS[verb]
        single = {}
        for key in args:
            values = args.getlist(key)
            if key == "verb":
                continue
            if key not in required | optional:
                raise OaiError("badArgument", f"{key!r} is not an argument of {verb}")
            if len(values) != 1:
                raise OaiError("badArgument", f"{key!r} is repeated")
            if _NOT_XML.search(values[0]):
                raise OaiError("badArgument", f"{key} holds characters XML cannot carry")
            single[key] = values[0]
        if "metadataPrefix" in single and not _PREFIX_SYNTAX.fullmatch(single["metadataPrefix"]):
            raise OaiError("badArgument", f"metadataPrefix={single['metadataPrefix']!r} is not a metadataPrefix")
        if "identifier" in single and not _URI.fullmatch(single["identifier"]):
            raise OaiError("badArgument", f"identifier={single['identifier']!r} is not a URI")
        if "resumptionToken" in single:
            if set(single) != {"resumptionToken"}:
                raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        else:
            missing = required - set(single)
            if missing:
                raise OaiError("badArgument", f"{verb} needs {', '.join(sorted(missing))}")
        return verb, single

    # -- verbs ---------------------------------------------------------------------------------

    def _Identify(self, root, _args):
        node = etree.SubElement(root, f"{{{OAI}}}Identify")
        for name, value in (("repositoryName", self.settings.oai.repository_name),
                            ("baseURL", root[1].text),
                            ("protocolVersion", "2.0"),
                            ("adminEmail", self.admin_email),
                            ("earliestDatestamp", self._earliest()),
                            ("deletedRecord", "persistent"),
                            ("granularity", "YYYY-MM-DDThh:mm:ssZ")):
            etree.SubElement(node, f"{{{OAI}}}{name}").text = value
        sample = next(iter(self.sources.values()), None)
        local = f"{(sample.isil or sample.id) if sample else 'NO-0000000'}:1"
        # The oai-identifier description claims a domain name (a dotted one: `localhost` is not) and a
        # sample in its grammar; a development base_uri has neither, so the optional block is left out.
        if _REPOSITORY_ID.fullmatch(self.domain) and _SAMPLE_LOCAL.fullmatch(local):
            description = etree.SubElement(node, f"{{{OAI}}}description")
            ident = etree.SubElement(description, f"{{{OAI_ID}}}oai-identifier", nsmap={None: OAI_ID})
            ident.set(f"{{{XSI}}}schemaLocation",
                      f"{OAI_ID} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd")
            for name, value in (("scheme", "oai"), ("repositoryIdentifier", self.domain), ("delimiter", ":"),
                                ("sampleIdentifier", f"oai:{self.domain}:{local}")):
                etree.SubElement(ident, f"{{{OAI_ID}}}{name}").text = value

    def _earliest(self) -> str:
        with self.engine.connect() as conn:
            value = conn.execute(select(func.min(transform_records.c.updated_at))
                                 .where(transform_records.c.status.in_(("ok", "deleted")))).scalar()
        return stamp(value) if value else "2000-01-01T00:00:00Z"

    def _ListMetadataFormats(self, root, args):
        if "identifier" in args:
            self._item(args["identifier"])
        node = etree.SubElement(root, f"{{{OAI}}}ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            fmt = etree.SubElement(node, f"{{{OAI}}}metadataFormat")
            etree.SubElement(fmt, f"{{{OAI}}}metadataPrefix").text = prefix
            etree.SubElement(fmt, f"{{{OAI}}}schema").text = schema
            etree.SubElement(fmt, f"{{{OAI}}}metadataNamespace").text = namespace

    def sets(self) -> list[tuple[str, str]]:
        out = [("library", "Libraries")]
        out += [(f"library:{set_part(s.id)}", s.name + (f" ({s.isil})" if s.isil else ""))
                for s in self.sources.values()]
        out.append(("kind", "Kinds of library"))
        out += [(f"kind:{k}", KIND_NAMES.get(k, k)) for k in sorted({s.kind for s in self.sources.values()})]
        out.append(("language", "Languages"))
        out += [(f"language:{g}", name) for g, (name, _codes) in LANGUAGE_GROUPS.items()]
        with self.engine.connect() as conn:
            codes = sorted(r[0] for r in conn.execute(select(record_languages.c.language).distinct()))
        from vocab.languages import label
        grouped = set(LANGUAGE_GROUPS)
        out += [(f"language:{c}", label(c, "en") or c) for c in codes if c not in grouped and re.fullmatch(r"[a-z]{2,8}", c)]
        return out

    def _ListSets(self, root, args):
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is answered in one response; this token is not valid")
        node = etree.SubElement(root, f"{{{OAI}}}ListSets")
        for spec, name in self.sets():
            s = etree.SubElement(node, f"{{{OAI}}}set")
            etree.SubElement(s, f"{{{OAI}}}setSpec").text = spec
            etree.SubElement(s, f"{{{OAI}}}setName").text = name

    def _GetRecord(self, root, args):
        prefix = self._prefix(args["metadataPrefix"])
        item = self._item(args["identifier"])
        node = etree.SubElement(root, f"{{{OAI}}}GetRecord")
        if not self._record(node, item, prefix):
            raise OaiError("cannotDisseminateFormat", f"{args['identifier']!r} has no {prefix} metadata")

    def _ListIdentifiers(self, root, args):
        self._list(root, args, headers_only=True)

    def _ListRecords(self, root, args):
        self._list(root, args, headers_only=False)

    # -- lists and tokens ----------------------------------------------------------------------

    def _list(self, root, args, headers_only: bool):
        if "resumptionToken" in args:
            query = self._decode(args["resumptionToken"])
        else:
            query = {"p": self._prefix(args["metadataPrefix"]), "s": args.get("set", ""), "c": 0}
            granularity = None
            for key in ("from", "until"):
                if key in args:
                    moment, grain = parse_date(args[key], key)
                    if granularity and grain != granularity:
                        raise OaiError("badArgument", "from and until must have the same granularity")
                    granularity = grain
                    if key == "until":
                        try:
                            moment += timedelta(days=1) if grain == "day" else timedelta(seconds=1)
                        except OverflowError:
                            continue              # the end of the calendar: no upper bound at all
                    query[key[0]] = moment.isoformat()
            if "f" in query and "u" in query and query["f"] >= query["u"]:
                raise OaiError("badArgument", "from is later than until")
            if query["s"]:
                self._set_filter(query["s"])          # unknown set → noRecordsMatch below, bad syntax → error
        rows = self._page(query)
        if not rows and query["c"] == 0:
            raise OaiError("noRecordsMatch", "no records match these arguments")
        node = etree.SubElement(root, f"{{{OAI}}}{'ListIdentifiers' if headers_only else 'ListRecords'}")
        more = len(rows) > self.page_size
        rows = rows[:self.page_size]
        for item in rows:
            if headers_only:
                self._header(node, item)
            else:
                self._record(node, item, query["p"])
        if "n" not in query:
            query["n"] = self._count(query) if more else query["c"] + len(rows)
        if more or query["c"] > 0:
            token = etree.SubElement(node, f"{{{OAI}}}resumptionToken")
            token.set("cursor", str(query["c"]))
            if query["n"] > 0:
                token.set("completeListSize", str(max(query["n"], query["c"] + len(rows))))
            if more:
                last = rows[-1]
                token.text = self._encode({**query, "c": query["c"] + len(rows),
                                           "k": [utc(last.updated_at).isoformat(), last.source, last.identifier]})

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._token_key, payload.encode("ascii"), hashlib.sha256).digest()[:SIGNATURE_BYTES])

    def _encode(self, data: dict) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def _decode(self, token: str) -> dict:
        payload, _dot, signature = token.rpartition(".")
        if not payload or not signature.isascii() or not payload.isascii() or \
                not hmac.compare_digest(self._sign(payload), signature):
            raise OaiError("badResumptionToken", "the resumptionToken is invalid (not issued by this repository)")
        try:
            data = json.loads(_unb64(payload))
            if not isinstance(data, dict) or data.get("p") not in FORMATS or not isinstance(data.get("c"), int):
                raise ValueError("shape")
            key = data.get("k")
            if not (isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key)):
                raise ValueError("key")
            datetime.fromisoformat(key[0])
            for name in ("f", "u"):
                if name in data:
                    datetime.fromisoformat(data[name])
            if data.get("s"):
                self._set_filter(data["s"])
            return data
        except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError, OaiError):
            raise OaiError("badResumptionToken", "the resumptionToken is invalid (not issued by this repository)") \
                from None

    def _db_time(self, value: datetime):
        value = utc(value)
        return value.replace(tzinfo=None) if self.engine.dialect.name == "sqlite" else value

    def _set_filter(self, spec: str):
        """A SQL condition for a setSpec; an unknown set matches nothing."""
        tr = transform_records
        parts = spec.split(":")
        if not re.fullmatch(r"[A-Za-z0-9_.!~*'()-]+(:[A-Za-z0-9_.!~*'()-]+)*", spec):
            raise OaiError("badArgument", f"set={spec!r} is not a valid setSpec")
        head, rest = parts[0], ":".join(parts[1:])
        if head in ("library", "kind") and not rest:
            return literal(True)
        if head == "library":
            return tr.c.source == self.source_sets[rest] if rest in self.source_sets else literal(False)
        if head == "kind":
            ids = [s.id for s in self.sources.values() if s.kind == rest]
            return tr.c.source.in_(ids) if ids else literal(False)
        if head == "language":
            codes = LANGUAGE_GROUPS[rest][1] if rest in LANGUAGE_GROUPS else ((rest,) if rest else None)
            exists = select(record_languages.c.identifier).where(
                record_languages.c.source == tr.c.source, record_languages.c.identifier == tr.c.identifier)
            if codes:
                exists = exists.where(record_languages.c.language.in_(codes))
            return exists.exists()
        return literal(False)

    def _conditions(self, query: dict) -> list:
        tr = transform_records
        conds = [tr.c.status.in_(("ok", "deleted")), tr.c.source.in_(list(self.sources))]
        if "f" in query:
            conds.append(tr.c.updated_at >= self._db_time(datetime.fromisoformat(query["f"])))
        if "u" in query:
            conds.append(tr.c.updated_at < self._db_time(datetime.fromisoformat(query["u"])))
        if query.get("s"):
            conds.append(self._set_filter(query["s"]))
        return conds

    def _page(self, query: dict) -> list[Item]:
        tr = transform_records
        conds = self._conditions(query)
        if "k" in query:
            moment, source, identifier = query["k"]
            moment = self._db_time(datetime.fromisoformat(moment))
            conds.append(or_(tr.c.updated_at > moment,
                             and_(tr.c.updated_at == moment, tuple_(tr.c.source, tr.c.identifier) > (source, identifier))))
        stmt = (select(tr.c.source, tr.c.identifier, tr.c.record_id, tr.c.status, tr.c.updated_at)
                .where(*conds).order_by(tr.c.updated_at, tr.c.source, tr.c.identifier).limit(self.page_size + 1))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return self._with_marc(rows)

    def _count(self, query: dict) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(transform_records)
                                    .where(*self._conditions(query))).scalar() or 0)

    def _with_marc(self, rows) -> list[Item]:
        marc = {}
        wanted = [(r.source, r.identifier) for r in rows if r.status == "ok"]
        if wanted:
            with self.engine.connect() as conn:
                for r in conn.execute(select(records.c.source, records.c.identifier, records.c.marcxml,
                                             records.c.control_number)
                                      .where(tuple_(records.c.source, records.c.identifier).in_(wanted))):
                    marc[(r.source, r.identifier)] = (r.marcxml, r.control_number)
                for key, text in overlays.merged_marc(conn, wanted).items():   # enrichment overlays merged
                    marc[key] = (text, marc.get(key, (None, None))[1])
        languages: dict[tuple[str, str], list[str]] = {}
        if wanted:
            rl = record_languages
            with self.engine.connect() as conn:
                for r in conn.execute(select(rl.c.source, rl.c.identifier, rl.c.language)
                                      .where(tuple_(rl.c.source, rl.c.identifier).in_(wanted))
                                      .order_by(rl.c.language)):
                    languages.setdefault((r.source, r.identifier), []).append(r.language)
        return [Item(r.source, r.identifier, r.record_id, r.status, r.updated_at,
                     *marc.get((r.source, r.identifier), (None, None)),
                     tuple(languages.get((r.source, r.identifier), ()))) for r in rows]

    # -- one record ----------------------------------------------------------------------------

    def _prefix(self, prefix: str) -> str:
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not offered "
                                                      f"(offered: {', '.join(FORMATS)})")
        return prefix

    def oai_identifier(self, source: str, record_id: str) -> str:
        s = self.sources.get(source)
        return f"oai:{self.domain}:{(s.isil or s.id) if s else source}:{record_id}"

    def _item(self, identifier: str) -> Item:
        for prefix, source in self.prefixes:
            if identifier.startswith(prefix):
                record_id = identifier[len(prefix):]
                tr = transform_records
                with self.engine.connect() as conn:
                    rows = conn.execute(select(tr.c.source, tr.c.identifier, tr.c.record_id, tr.c.status,
                                               tr.c.updated_at)
                                        .where(tr.c.source == source, tr.c.record_id == record_id,
                                               tr.c.status.in_(("ok", "deleted")))).all()
                if rows:
                    return self._with_marc(rows)[0]
        raise OaiError("idDoesNotExist", f"{identifier!r} is not an identifier of this repository")

    def _header(self, parent, item: Item):
        header = etree.SubElement(parent, f"{{{OAI}}}header")
        if item.status == "deleted":
            header.set("status", "deleted")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = self.oai_identifier(item.source, item.record_id)
        etree.SubElement(header, f"{{{OAI}}}datestamp").text = stamp(item.updated_at)
        source = self.sources.get(item.source)
        etree.SubElement(header, f"{{{OAI}}}setSpec").text = f"library:{set_part(item.source)}"
        if source is not None:
            etree.SubElement(header, f"{{{OAI}}}setSpec").text = f"kind:{source.kind}"
        for spec in language_specs(item.languages):
            etree.SubElement(header, f"{{{OAI}}}setSpec").text = spec
        return header

    def _record(self, parent, item: Item, prefix: str) -> bool:
        """Append the record; False when a live item has no metadata in `prefix` (its header stands
        alone in a list, where dropping it would make paging skip; GetRecord reports the error)."""
        record = etree.SubElement(parent, f"{{{OAI}}}record")
        self._header(record, item)
        if item.status == "deleted":
            return True
        element = metadata_for(self, item, prefix)
        if element is None:
            return False
        etree.SubElement(record, f"{{{OAI}}}metadata").append(element)
        return True
