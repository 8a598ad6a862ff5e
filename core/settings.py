"""The settings of a Grenseløs installation, read from one TOML file.

Every key the file may hold is listed once in a table (name, type, default, help), in the manner of
Datasette's settings: the same table validates the file, documents it (README, `grenselos settings`)
and is checked by a test so that no setting goes undocumented. Secrets never live in the file: a
database URL may name an environment variable (`database_url_env`).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    type: type | tuple[type, ...]
    default: Any
    help: str
    required: bool = False
    choices: tuple[str, ...] | None = None
    #: For a list setting: the type of each element (the value is kept as a tuple).
    item: type | None = None
    minimum: float | None = None


SOURCE_KINDS = ("public", "school", "national")
#: A web origin as CSP frame-ancestors takes it: scheme, host, optional port; nothing that could end the header.
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")

TOP_LEVEL = (
    Setting("data_dir", str, "./data", "Directory where the embedded default keeps everything it writes "
            "(record store, graph store, search index). Relative paths are taken from the config file's folder."),
    Setting("base_uri", str, "http://localhost:5000", "Base of every minted URI (instances, works, items, agents)."),
    Setting("database_url", str, "", "SQLAlchemy URL of the record store; empty means SQLite in data_dir. "
            "For PostgreSQL: postgresql+psycopg://user@host/db."),
    Setting("database_url_env", str, "", "Name of an environment variable holding the database URL "
            "(wins over database_url; keeps passwords out of the file)."),
)

HARVEST = (
    Setting("timeout", (int, float), 60, "Seconds to wait for any one OAI-PMH request before it counts as failed."),
    Setting("max_retries", int, 5, "Retries of one request after a connection error, timeout or 5xx/503."),
    Setting("backoff", (int, float), 2.0, "First wait in seconds between retries; doubled each time."),
    Setting("max_backoff", (int, float), 120.0, "Longest wait between retries, also the cap on Retry-After."),
    Setting("user_agent", str, "Grenseløs/0.1 (+https://github.com/grenselos)", "User-Agent of every request."),
)

SEARCH = (
    Setting("solr_url", str, "", "URL of a Solr core or SolrCloud collection; empty means the embedded tantivy index."),
    Setting("solr_urls", list, (), "The same SolrCloud collection's URL on other nodes, e.g. "
            "[\"http://solr2:8983/solr/grenselos\", \"http://solr3:8983/solr/grenselos\"]. Requests go to the "
            "node that answered last (solr_url first) and move on to the next when a node does not answer, "
            "so losing one node does not lose search or indexing.", item=str),
    Setting("retry_seconds", (int, float), 120.0, "Seconds `grenselos index` keeps retrying a batch while the "
            "search index is unavailable (a Solr node restarting, a shard without a leader) before it stops; "
            "what it did not send stays pending and the next run sends it.", minimum=0),
    Setting("facet_cache_seconds", (int, float), 30.0, "Seconds one process reuses the facet counts of a repeated "
            "query (0: count every time); dropped at every commit of that process."),
)

SOURCE = (
    Setting("id", str, None, "Short stable id of the source, used in URIs and on the command line.", required=True),
    Setting("name", str, None, "Name of the library or service as patrons know it.", required=True),
    Setting("isil", str, "", "ISIL of the library, e.g. NO-2030000."),
    Setting("kind", str, "public", "Kind of library.", choices=SOURCE_KINDS),
    Setting("municipality", str, "", "Municipality the library serves."),
    Setting("library", str, "", "Id of the library this source is (the library facet value and "
            "/library/ key); empty means the source's id."),
    Setting("oai_url", str, "", "OAI-PMH base URL; empty for sources that only arrive by `grenselos import`."),
    Setting("metadata_prefix", str, "marc21", "OAI-PMH metadataPrefix (marc21, marcxchange, ...)."),
    Setting("set", str, "", "OAI-PMH set to harvest; empty harvests everything."),
    Setting("holdings", str, "marc-852", "Holdings profile: how items are read from this source's records "
            "(koha-952, marc-852, marcxchange-holdings)."),
    Setting("reports_deletes", bool, True, "False for providers that do not report deleted records: a "
            "ListIdentifiers pass after each harvest finds records that disappeared."),
    Setting("encoding", str, "", "Character set override for ISO 2709 imports of legacy files "
            "(cp1251, cp866, ...); empty trusts leader/09."),
    Setting("granularity", str, "", "Datestamp granularity of the provider (YYYY-MM-DD or "
            "YYYY-MM-DDThh:mm:ssZ); empty asks Identify."),
    Setting("embed_origins", list, (), "Web sites that may show this library's curated lists in a frame "
            "(the widget at /lists/<id>/embed), e.g. [\"https://www.kautokeino.kommune.no\"]: the CSP "
            "frame-ancestors of a list owned by the library. Empty: only the portal itself.", item=str),
)

SPARQL = (
    Setting("timeout", (int, float), 10.0, "Seconds one SPARQL query may run before it is stopped and answered "
            "with an error (the endpoint stays responsive to other requests)."),
    Setting("max_rows", int, 10000, "Most result rows (or triples) one SPARQL query may return."),
    Setting("max_query_bytes", int, 32768, "Largest SPARQL query text accepted, in bytes (UTF-8)."),
    Setting("workers", int, 2, "Worker processes per portal process that evaluate SPARQL queries (one query "
            "each at a time; a query past the time limit is stopped by ending its process)."),
    Setting("per_client", int, 1, "Most SPARQL queries one client (address) may have running at once in one "
            "portal process; more are answered 429, so a few heavy users cannot take every worker."),
)

OAI = (
    Setting("repository_name", str, "Grenseløs", "repositoryName the OAI-PMH provider (/oai) reports in Identify."),
    Setting("admin_email", str, "", "adminEmail of the OAI-PMH provider; empty means postmaster@ the base_uri's host."),
    Setting("page_size", int, 100, "Records (or headers) per OAI-PMH response before a resumptionToken."),
)

PORTAL = (
    Setting("secure_cookies", bool, False, "Mark every cookie the portal sets Secure, also on a request that "
            "arrived over plain HTTP (for a TLS proxy that does not send X-Forwarded-Proto). Responses to "
            "HTTPS requests always get Secure cookies."),
)

STAFF = (
    Setting("idle_minutes", (int, float), 30, "Minutes a staff session may go unused before it ends and the "
            "librarian signs in again.", minimum=1),
    Setting("lifetime_hours", (int, float), 12, "Hours after sign-in when a staff session ends however busy it "
            "is, so a copied session cookie does not outlive a working day.", minimum=0.1),
    Setting("client_failures", int, 5, "Failed staff sign-ins one client address may make within "
            "lockout_minutes; further attempts from it are refused unchecked until the oldest has aged out.",
            minimum=1),
    Setting("library_failures", int, 20, "Failed staff sign-ins for one library, from all addresses together, "
            "within lockout_minutes before that library's sign-in pauses likewise.", minimum=1),
    Setting("lockout_minutes", (int, float), 15, "The window in which failed staff sign-ins are counted, and so "
            "the longest a locked-out client address or library waits.", minimum=1),
    Setting("account_failures", int, 10, "Wrong passwords or codes in a row after which a staff account refuses "
            "every sign-in, unchecked, for lockout_minutes (from whichever addresses the guesses come).", minimum=1),
    Setting("password_min_length", int, 12, "Fewest characters a staff password may have.", minimum=8),
)

SECTIONS = {"harvest": HARVEST, "search": SEARCH, "sparql": SPARQL, "oai": OAI, "portal": PORTAL, "staff": STAFF}


def _table_class(name: str, spec: tuple[Setting, ...]) -> type:
    """A frozen dataclass whose fields, types and defaults are the table's rows: the table is the one
    place a setting's default is written."""
    fields_ = []
    for setting in spec:
        kind = setting.type[0] if isinstance(setting.type, tuple) else setting.type
        if setting.required:
            fields_.append((setting.name, kind))
        else:
            default = tuple(setting.default) if isinstance(setting.default, list) else setting.default
            fields_.append((setting.name, kind, field(default=default)))
    fields_.sort(key=lambda f: len(f) == 3)                  # required fields first, as dataclasses demand
    return make_dataclass(name, fields_, frozen=True)


Source = _table_class("Source", SOURCE)
HarvestSettings = _table_class("HarvestSettings", HARVEST)
SearchSettings = _table_class("SearchSettings", SEARCH)
SparqlSettings = _table_class("SparqlSettings", SPARQL)
OaiSettings = _table_class("OaiSettings", OAI)
PortalSettings = _table_class("PortalSettings", PORTAL)
StaffSettings = _table_class("StaffSettings", STAFF)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    base_uri: str
    database_url: str
    sources: tuple[Source, ...] = ()
    harvest: HarvestSettings = field(default_factory=HarvestSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    path: Path | None = None
    sparql: SparqlSettings = field(default_factory=SparqlSettings)
    oai: OaiSettings = field(default_factory=OaiSettings)
    portal: PortalSettings = field(default_factory=PortalSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"unknown source {source_id!r} (configured: {known})", path=self.path)

    @property
    def default_database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'records.sqlite'}"


def _check_table(table: dict, spec: tuple[Setting, ...], path: Path | None, where: str) -> dict:
    known = {s.name: s for s in spec}
    for key in table:
        if key not in known:
            raise ConfigError(f"unknown key {key!r} in {where}", path=path, table=where, key=key)
    values = {}
    for setting in spec:
        if setting.name not in table:
            if setting.required:
                raise ConfigError(f"missing required key {setting.name!r} in {where}",
                                  path=path, table=where, key=setting.name)
            values[setting.name] = setting.default
            continue
        value = table[setting.name]
        expected = setting.type if isinstance(setting.type, tuple) else (setting.type,)
        if isinstance(value, bool) and bool not in expected or not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            raise ConfigError(f"{where}.{setting.name} must be {names}, not {type(value).__name__}",
                              path=path, table=where, key=setting.name)
        if setting.item is not None:
            if not all(isinstance(v, setting.item) and not isinstance(v, bool) for v in value):
                raise ConfigError(f"{where}.{setting.name} must be a list of {setting.item.__name__}",
                                  path=path, table=where, key=setting.name)
            value = tuple(value)
        if setting.choices and value not in setting.choices:
            raise ConfigError(f"{where}.{setting.name} must be one of {', '.join(setting.choices)}; "
                              f"got {value!r}", path=path, table=where, key=setting.name)
        if setting.minimum is not None and value < setting.minimum:
            raise ConfigError(f"{where}.{setting.name} must be at least {setting.minimum:g}; got {value!r}",
                              path=path, table=where, key=setting.name)
        values[setting.name] = value
    return values


def from_dict(data: dict, path: Path | None = None) -> Settings:
    """Validate a parsed TOML document; every complaint names the file, table and key."""
    allowed = {s.name for s in TOP_LEVEL} | set(SECTIONS) | {"sources"}
    for key in data:
        if key not in allowed:
            raise ConfigError(f"unknown key {key!r} at top level", path=path, table="", key=key)
    top = _check_table({k: v for k, v in data.items() if k in {s.name for s in TOP_LEVEL}},
                       TOP_LEVEL, path, "top level")
    sections = {}
    for name, spec in SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table", path=path, table=name, key=name)
        sections[name] = _check_table(table, spec, path, f"[{name}]")

    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError("sources must be an array of tables ([[sources]])", path=path, table="sources",
                          key="sources")
    sources, seen = [], set()
    for n, table in enumerate(raw_sources, start=1):
        where = f"[[sources]] #{n}"
        if isinstance(table, dict) and isinstance(table.get("id"), str):
            where = f"[[sources]] #{n} (id {table['id']!r})"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table", path=path, table=where, key="sources")
        values = _check_table(table, SOURCE, path, where)
        if values["id"] in seen:
            raise ConfigError(f"duplicate source id {values['id']!r}", path=path, table=where, key="id")
        if not values["id"] or not values["id"].replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"source id {values['id']!r} may hold only letters, digits, - and _",
                              path=path, table=where, key="id")
        for origin in values["embed_origins"]:
            if not ORIGIN.fullmatch(origin):
                raise ConfigError(f"{where}.embed_origins: {origin[:80]!r} is not a web origin such as "
                                  "https://www.example.no", path=path, table=where, key="embed_origins")
        seen.add(values["id"])
        sources.append(Source(**values))

    base = path.parent if path else Path.cwd()
    data_dir = Path(top["data_dir"])
    if not data_dir.is_absolute():
        data_dir = (base / data_dir).resolve()
    database_url = top["database_url"]
    if top["database_url_env"]:
        database_url = os.environ.get(top["database_url_env"], database_url)
    settings = Settings(
        data_dir=data_dir,
        base_uri=top["base_uri"].rstrip("/"),
        database_url=database_url,
        sources=tuple(sources),
        harvest=HarvestSettings(**sections["harvest"]),
        search=SearchSettings(**sections["search"]),
        sparql=SparqlSettings(**sections["sparql"]),
        oai=OaiSettings(**sections["oai"]),
        portal=PortalSettings(**sections["portal"]),
        staff=StaffSettings(**sections["staff"]),
        path=path,
    )
    if not settings.database_url:
        settings = Settings(**{**settings.__dict__, "database_url": settings.default_database_url})
    return settings


def load(path: str | os.PathLike) -> Settings:
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("configuration file not found", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    return from_dict(data, path=path.resolve())


def reference() -> str:
    """The configuration reference as Markdown, generated from the tables above."""
    lines = []
    for title, spec in (("Top level", TOP_LEVEL), *((f"[{n}]", s) for n, s in SECTIONS.items()),
                        ("[[sources]]", SOURCE)):
        lines += [f"#### {title}", "", "| key | default | meaning |", "|---|---|---|"]
        for s in spec:
            default = "(required)" if s.required else repr(list(s.default) if s.item else s.default)
            extra = f" One of: {', '.join(s.choices)}." if s.choices else ""
            extra += f" At least {s.minimum:g}." if s.minimum is not None else ""
            lines.append(f"| `{s.name}` | `{default}` | {s.help}{extra} |")
        lines.append("")
    return "\n".join(lines)
