"""The settings of a Grenseløs installation, read from one TOML file.

Every key the file may hold is listed once in a table (name, type, default, help), in the manner of
Datasette's settings: the same table validates the file, documents it (README, `grenselos settings`)
and is checked by a test so that no setting goes undocumented. Secrets never live in the file: a
database URL may name an environment variable (`database_url_env`).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.errors import ConfigError, Problem


@dataclass(frozen=True)
class Setting:
    name: str
    type: type | tuple[type, ...]
    default: Any
    help: str
    required: bool = False
    choices: tuple[str, ...] | Shape | None = None
    #: For a list setting: the type of each element (the value is kept as a tuple).
    item: type | None = None
    minimum: float | None = None
    #: Name of an allowed set kept in a higher layer (holdings profiles live in transform, character sets
    #: in harvest); the loader's caller passes the sets in (`transform.setting_values.ALLOWED`).
    allowed: str | None = None
    #: The value is an http(s) URL (or empty).
    url: bool = False


class Shape:
    """The allowed values of a setting with a shape rather than a list (an e-mail address, an ISIL), as the
    check asks them (`in`, `describe`). It offers no "did you mean": the right value is the operator's."""

    def __init__(self, pattern: str | re.Pattern, what: str):
        self.pattern, self.what = re.compile(pattern), what

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and bool(self.pattern.fullmatch(value))

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def describe(self) -> str:
        return self.what


SOURCE_KINDS = ("public", "school", "national", "digital")
#: A web origin as CSP frame-ancestors takes it: scheme, host, optional port; nothing that could end the header.
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")

TOP_LEVEL = (
    Setting("data_dir", str, "./data", "Directory where the embedded default keeps everything it writes "
            "(record store, graph store, search index). Relative paths are taken from the config file's folder."),
    Setting("base_uri", str, "http://localhost:5000", "Base of every minted URI (instances, works, items, agents).",
            url=True),
    Setting("database_url", str, "", "SQLAlchemy URL of the record store; empty means SQLite in data_dir. "
            "For PostgreSQL: postgresql+psycopg://user@host/db."),
    Setting("database_url_env", str, "", "Name of an environment variable holding the database URL "
            "(wins over database_url; keeps passwords out of the file)."),
)

HARVEST = (
    Setting("timeout", (int, float), 60, "Seconds to wait for any one OAI-PMH request before it counts as failed.",
            minimum=0.1),
    Setting("max_retries", int, 5, "Retries of one request after a connection error, timeout or 5xx/503.",
            minimum=0),
    Setting("backoff", (int, float), 2.0, "First wait in seconds between retries; doubled each time.", minimum=0),
    Setting("max_backoff", (int, float), 120.0, "Longest wait between retries, also the cap on Retry-After.",
            minimum=0),
    Setting("user_agent", str, "Grenseløs/0.1 (+https://github.com/grenselos)", "User-Agent of every request."),
    Setting("alert_quarantined", int, 10, "A harvest that quarantines more records than this mails the "
            "source's contact_email (as a failed harvest does), once until a harvest is clean again.", minimum=0),
    Setting("alert_recovery", bool, True, "Mail the source's contact_email also when a harvest works again "
            "after a failure (or too many quarantined records) was mailed."),
)

SEARCH = (
    Setting("solr_url", str, "", "URL of a Solr core or SolrCloud collection; empty means the embedded tantivy index.",
            url=True),
    Setting("solr_urls", list, (), "The same SolrCloud collection's URL on other nodes, e.g. "
            "[\"http://solr2:8983/solr/grenselos\", \"http://solr3:8983/solr/grenselos\"]. Requests go to the "
            "node that answered last (solr_url first) and move on to the next when a node does not answer, "
            "so losing one node does not lose search or indexing.", item=str, url=True),
    Setting("retry_seconds", (int, float), 120.0, "Seconds `grenselos index` keeps retrying a batch while the "
            "search index is unavailable (a Solr node restarting, a shard without a leader) before it stops; "
            "what it did not send stays pending and the next run sends it.", minimum=0),
    Setting("facet_cache_seconds", (int, float), 30.0, "Seconds one process reuses the facet counts of a repeated "
            "query (0: count every time); dropped at every commit of that process.", minimum=0),
)

SOURCE = (
    Setting("id", str, None, "Short stable id of the source, used in URIs and on the command line.", required=True),
    Setting("name", str, None, "Name of the library or service as patrons know it.", required=True),
    Setting("isil", str, "", "ISIL of the library, e.g. NO-2030000.", allowed="ISILs"),
    Setting("kind", str, "public", "Kind of library; digital: e-books, e-audiobooks and databases the county "
            "licenses (856 links, no copies; see access).", choices=SOURCE_KINDS),
    Setting("municipality", str, "", "Municipality the library serves."),
    Setting("library", str, "", "Id of the library this source is (the library facet value and "
            "/library/ key); empty means the source's id."),
    Setting("oai_url", str, "", "OAI-PMH base URL; empty for sources that only arrive by `grenselos import`.",
            url=True),
    Setting("metadata_prefix", str, "marc21", "OAI-PMH metadataPrefix (marc21, marcxchange, ...)."),
    Setting("set", str, "", "OAI-PMH set to harvest; empty harvests everything."),
    Setting("holdings", str, "marc-852", "Holdings profile: how items are read from this source's records "
            "(koha-952, marc-852, marcxchange-holdings).", allowed="holdings profiles"),
    Setting("reports_deletes", bool, True, "False for providers that do not report deleted records: a "
            "ListIdentifiers pass after each harvest finds records that disappeared."),
    Setting("encoding", str, "", "Character set override for ISO 2709 imports of legacy files "
            "(cp1251, cp866, ...); empty trusts leader/09.", allowed="character sets"),
    Setting("granularity", str, "", "Datestamp granularity of the provider (YYYY-MM-DD or "
            "YYYY-MM-DDThh:mm:ssZ); empty asks Identify.", allowed="granularities"),
    Setting("schedule_minutes", int, 30, "Minutes between the scheduled harvest, transform and index runs of "
            "this source (`grenselos scheduler`); 0: never scheduled.", minimum=0),
    Setting("contact_email", str, "", "Address that gets a mail when a harvest of this source fails or "
            "quarantines more than [harvest] alert_quarantined records; empty: no mail.",
            choices=Shape(r"\S+@(\S+\.)+\S+", "an e-mail address")),
    Setting("contact_language", str, "nb", "Language of those mails: an interface language (nb, nn, se, en).",
            allowed="interface languages"),
    Setting("circulation", bool, False, "True when this library lends its copies through Grenseløs (the "
            "bundled circulation core): its copies' barcodes (852 $p, 952 $p) can be checked out, in and renewed."),
    Setting("floating", bool, False, "Circulation return policy for this library's copies: False sends a copy "
            "returned at another county library home (in transit); True lets it float: it stays where it was "
            "returned, which becomes its holding library."),
    Setting("licence", str, "CC0-1.0", "Licence of this source's records (an id of vocab/data/licences.tsv): "
            "records whose licence forbids republication (vendor-local-use) serve search and the record pages but "
            "are left out of SPARQL, dumps, OAI-PMH, VoID and the RDF downloads.", allowed="licences"),
    Setting("access", list, (), "For a source of kind digital: ids of the libraries whose patrons may open its "
            "e-books, e-audiobooks and databases (\"read/listen now\"), e.g. [\"tromso\", \"alta\"]; empty: "
            "every library of the county.", item=str),
    Setting("embed_origins", list, (), "Web sites that may show this library's curated lists in a frame "
            "(the widget at /lists/<id>/embed), e.g. [\"https://www.kautokeino.kommune.no\"]: the CSP "
            "frame-ancestors of a list owned by the library. Empty: only the portal itself.", item=str),
)

SPARQL = (
    Setting("timeout", (int, float), 10.0, "Seconds one SPARQL query may run before it is stopped and answered "
            "with an error (the endpoint stays responsive to other requests).", minimum=0.1),
    Setting("max_rows", int, 10000, "Most result rows (or triples) one SPARQL query may return.", minimum=1),
    Setting("max_query_bytes", int, 32768, "Largest SPARQL query text accepted, in bytes (UTF-8).", minimum=1),
    Setting("workers", int, 2, "Worker processes per portal process that evaluate SPARQL queries (one query "
            "each at a time; a query past the time limit is stopped by ending its process).", minimum=1),
    Setting("per_client", int, 1, "Most SPARQL queries one client (address) may have running at once in one "
            "portal process; more are answered 429, so a few heavy users cannot take every worker.", minimum=1),
)

OAI = (
    Setting("repository_name", str, "Grenseløs", "repositoryName the OAI-PMH provider (/oai) reports in Identify."),
    Setting("admin_email", str, "", "adminEmail of the OAI-PMH provider; empty means postmaster@ the base_uri's host.",
            choices=Shape(r"\S+@(\S+\.)+\S+", "an e-mail address (OAI-PMH's emailType)")),
    Setting("page_size", int, 100, "Records (or headers) per OAI-PMH response before a resumptionToken.",
            minimum=1),
)

PORTAL = (
    Setting("secure_cookies", bool, False, "Mark every cookie the portal sets Secure, also on a request that "
            "arrived over plain HTTP (for a TLS proxy that does not send X-Forwarded-Proto). Responses to "
            "HTTPS requests always get Secure cookies."),
    Setting("contact_email", str, "", "Where the public reports accessibility problems and asks about the "
            "catalogue: named on the accessibility statement (/accessibility). Empty: the statement asks visitors "
            "to contact their own library."),
    Setting("cover_url", str, "", "Cover image service for records whose own description carries no cover "
            "(856 naming one): a URL with `{isbn}` (ISBN-13), e.g. `https://covers.example.org/{isbn}.jpg`; "
            "empty (the default) asks no service and shows a typographic placeholder."),
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
    Setting("session_retention_days", int, 30, "Days after a staff session ended (signed out, idle, lifetime, "
            "revoked) after which `grenselos staff retention` deletes its row; the audit trail keeps the sign-in "
            "and sign-out themselves.", minimum=1),
    Setting("audit_retention_days", int, 730, "Days the staff audit trail (`staff_events`: sign-ins, account "
            "changes, which librarian looked up which patron) is kept before `grenselos staff retention` deletes "
            "a row. Two years lets a patron's request to see who looked at their data, and a complaint about it, "
            "be answered for the whole time the patron could have noticed; longer keeps personal data about staff "
            "and patrons without need (GDPR storage limitation). Enrichments older than this lose the name of "
            "the librarian who accepted them (the library stays).", minimum=1),
    Setting("address_retention_days", int, 30, "Days after which `grenselos staff retention` blanks the client "
            "(IP) address in audit rows and staff sessions; the sign-in throttle needs only the last "
            "lockout_minutes, and a month leaves time to trace an attack. Stale failed-PIN rows (older than "
            "[circulation] pin_lockout_minutes) are deleted in the same run.", minimum=1),
)

MAIL = (
    Setting("host", str, "", "SMTP server that sends the alert mails; empty: no mail is sent."),
    Setting("port", int, 25, "Port of the SMTP server (587 with starttls, 465 with ssl)."),
    Setting("from", str, "", "Sender address of the mails; empty means grenselos@ the base_uri's host.",
            choices=Shape(r"\S+@(\S+\.)+\S+", "an e-mail address")),
    Setting("security", str, "none", "How the connection is protected.", choices=("none", "starttls", "ssl")),
    Setting("user_env", str, "", "Name of an environment variable holding the SMTP user name (empty: no login)."),
    Setting("password_env", str, "", "Name of an environment variable holding the SMTP password."),
    Setting("timeout", (int, float), 30, "Seconds to wait for the SMTP server.", minimum=1),
)

SCHEDULER = (
    Setting("poll_seconds", (int, float), 30, "Seconds `grenselos scheduler` sleeps between looks at which "
            "source is due.", minimum=0.1),
    Setting("jitter_seconds", (int, float), 120, "Up to this many seconds added to each source's next run, "
            "so sources on the same interval do not all start at once.", minimum=0),
)

CIRCULATION = (
    Setting("pin_failures", int, 5, "Wrong PINs in a row after which a patron card refuses every PIN, unchecked, "
            "for pin_lockout_minutes (at the desk, on My page, the patron API and SIP2 alike).", minimum=1),
    Setting("client_pin_failures", int, 20, "Wrong PINs one client address (or SIP2 terminal) may give within "
            "pin_lockout_minutes, for any cards, before its further attempts are refused unchecked.", minimum=1),
    Setting("pin_lockout_minutes", (int, float), 15, "The window in which wrong PINs are counted, and how long "
            "a locked card or client waits.", minimum=1),
    Setting("pin_hash_memory_kib", int, 1024, "KiB of memory argon2id uses to hash a patron PIN (staff passwords "
            "keep argon2's strong defaults). A 4–6 digit PIN has too few values for slow hashing to protect it; "
            "the lock-out above does, so PINs are hashed lightly enough to migrate 20,000 patrons in seconds. "
            "A stored PIN hash with other parameters is rehashed at the patron's next sign-in.", minimum=8),
    Setting("pin_hash_time_cost", int, 1, "Passes argon2id makes over its memory when hashing a patron PIN (see "
            "pin_hash_memory_kib).", minimum=1),
    Setting("anonymise_after_days", int, 365, "Days after a patron's card expired (and nothing is on loan) "
            "after which `grenselos patrons retention` wipes the name, contact and birth year; the card stays, "
            "locked.", minimum=0),
    Setting("delete_after_days", int, 730, "Days after a patron's card expired (and nothing is on loan) after "
            "which `grenselos patrons retention` deletes the patron; returned loans stay, without the patron, "
            "for the statistics.", minimum=0),
    Setting("suppress_below", int, 3, "In anything public (the circulation Data Cube, public pages), a figure "
            "under this (but not zero) is suppressed, with a complementary cell so totals do not give it back; "
            "staff see their own library's exact figures. 1: suppress nothing.", minimum=1),
    Setting("lost_after_days", int, 0, "Days past its due date after which `grenselos patrons lost-overdue` marks "
            "a loan's copy lost and opens a replacement claim; 0: never (staff mark copies lost by hand).",
            minimum=0),
)

NOTICES = (
    Setting("smtp_host", str, "", "SMTP server that sends patron notices (hold ready, due soon, reminders, "
            "replacement claims) by e-mail; empty: e-mail notices wait, marked failed with the reason, until "
            "one is set."),
    Setting("smtp_port", int, 25, "Port of that SMTP server (587 with starttls, 465 with ssl).", minimum=1),
    Setting("sender", str, "", "Sender address of patron notices; empty means grenselos@ the base_uri's host.",
            choices=Shape(r"\S+@(\S+\.)+\S+", "an e-mail address")),
    Setting("smtp_security", str, "none", "How the SMTP connection is protected.",
            choices=("none", "starttls", "ssl")),
    Setting("smtp_user_env", str, "", "Name of an environment variable holding the SMTP user name (empty: no "
            "login)."),
    Setting("smtp_password_env", str, "", "Name of an environment variable holding the SMTP password."),
    Setting("smtp_timeout", (int, float), 30, "Seconds to wait for the SMTP server.", minimum=1),
    Setting("sms_gateway_url", str, "", "URL of the HTTP SMS gateway that sends notices to patrons without "
            "e-mail (with a phone number); empty: no SMS.", url=True),
    Setting("sms_method", str, "POST", "HTTP method of the gateway request: POST sends sms_parameters as a JSON "
            "body (or a form, see sms_body), GET as query parameters.", choices=("POST", "GET")),
    Setting("sms_body", str, "json", "How a POST carries the parameters.", choices=("json", "form")),
    Setting("sms_parameters", str, '{"to": "{to}", "message": "{text}", "from": "{sender}", "reference": '
            '"{reference}"}', "The gateway request's parameters as a JSON object; in its strings {to} (the "
            "phone number), {text} (the message), {sender} (sms_sender) and {reference} (the notice's unique key, "
            "which lets a gateway that keeps references refuse a repeat) are filled in."),
    Setting("sms_sender", str, "", "Sender name or number the gateway shows (max 11 letters at most gateways)."),
    Setting("sms_auth_header", str, "Authorization", "Name of the HTTP header that carries the gateway "
            "credential."),
    Setting("sms_auth_env", str, "", "Name of an environment variable holding that header's value (e.g. "
            "\"Bearer …\"); empty: no credential header."),
    Setting("sms_timeout", (int, float), 15, "Seconds to wait for the SMS gateway.", minimum=1),
    Setting("due_soon_days", int, 2, "Days before the due date when the \"due soon\" notice goes out; 0: none.",
            minimum=0),
    Setting("reminder_days", list, (1, 14, 28), "Days after the due date of the 1st, 2nd, … overdue reminder "
            "(ascending). A replacement claim opened after the last one (`[circulation] lost_after_days`, "
            "which should then be larger) is sent as the claim notice.", item=int),
    Setting("retry_minutes", (int, float), 5, "First wait before a failed notice is tried again; doubled after "
            "each failure.", minimum=0),
    Setting("max_retry_hours", (int, float), 24, "Longest wait between two tries of a failed notice (it is "
            "retried until sent, never dropped).", minimum=0),
    Setting("stale_minutes", (int, float), 15, "A notice still marked as being sent after this many minutes "
            "belongs to a run that died mid-send; it is marked uncertain (listed for staff with its "
            "Message-ID), never resent by itself.", minimum=1),
    Setting("keep_days", int, 60, "Days a notice is kept once it can never be due again (its loan returned, "
            "its claim closed); then it is deleted, since it names what the patron borrowed.", minimum=1),
    Setting("workers", int, 4, "Notices sent at once by one run, each over its own SMTP connection (most of "
            "a notice's time is spent waiting for the server).", minimum=1),
    Setting("schedule_minutes", int, 60, "Minutes between the notices runs of `grenselos scheduler`; 0: the "
            "scheduler sends none (run `grenselos notices send` from a timer instead).", minimum=0),
)

HOLDS = (
    Setting("shelf_days", int, 7, "Open days of the pickup library a copy waits on the hold shelf before the hold "
            "expires and the next patron in the queue is served (`grenselos holds run`).", minimum=1),
    Setting("transit_days", int, 3, "Days a copy is expected to travel between two libraries that no route in "
            "[[routes]] (or on the staff routes page) connects.", minimum=0),
)

ROUTE = (
    Setting("name", str, None, "Name of the transport route as staff know it (\"Bokbåten Vest\").", required=True),
    Setting("kind", str, "van", "What runs it: a book bus, a book boat or the county's van.",
            choices=("bus", "boat", "van")),
    Setting("days", list, (), "Weekdays it runs, e.g. [\"mon\", \"thu\"]; a copy bound for a stop on it "
            "is expected on the next of these days.", item=str),
    Setting("stops", list, (), "Ids of the libraries (sources) it serves, in order; holds find lenders along "
            "the pickup library's routes first.", item=str),
)

SERVICE_POINT = (
    Setting("id", str, None, "Id of the stop, named as the pickup in hold forms and the patron API "
            "(\"masi-skole\"); not a source id.", required=True),
    Setting("name", str, None, "The stop as patrons know it (\"Bokbussen: Masi skole\").", required=True),
    Setting("route", str, None, "Name of the [[routes]] entry whose bus or boat serves it; holds for it are "
            "expected on that route's days.", required=True),
    Setting("library", str, None, "Id of the home library (source) whose hold shelf serves it: copies go there "
            "in transit and wait in its \"for the book bus\" box.", required=True),
)

SIP2 = (
    Setting("host", str, "127.0.0.1", "Address `grenselos sip2` listens on for self-service kiosks (0.0.0.0: all)."),
    Setting("port", int, 6001, "TCP port of the SIP2 server.", minimum=1),
    Setting("tls_cert", str, "", "PEM certificate (chain) file: when set, the SIP2 server speaks only TLS, as "
            "kiosks across municipal networks should. Relative paths are taken from the config file's folder."),
    Setting("tls_key", str, "", "PEM private key of tls_cert (empty: the key is in the tls_cert file)."),
    Setting("idle_seconds", (int, float), 600, "Seconds a kiosk connection may stay silent before it is closed.",
            minimum=1),
)

SIP2_ACCOUNT = (
    Setting("login", str, None, "The kiosk's SIP2 login (93 CN).", required=True),
    Setting("password", str, "", "The kiosk's SIP2 password (93 CO); prefer password_env."),
    Setting("password_env", str, "", "Name of an environment variable holding the password (wins over password)."),
    Setting("library", str, None, "Id of the source (library) this kiosk lends and returns for; also the SIP2 "
            "institution id (AO).", required=True),
    Setting("encoding", str, "", "Character set of this kiosk (cp850 or utf-8); empty: UTF-8 when the bytes are "
            "valid UTF-8, else cp850.", choices=("cp850", "utf-8")),
)

NCIP = (
    Setting("enabled", bool, False, "Answer inter-library loan messages (NCIP, the Norwegian profile NNCIPP 1.0) "
            "from the libraries in [[ncip.peers]] at POST /ncip, and send them ours."),
    Setting("timeout", (int, float), 30, "Seconds to wait for a peer library's NCIP endpoint.", minimum=1),
    Setting("ship_address", str, "", "Postal address written in the ShippingInformation of the items we "
            "ship (empty: the lending library's name)."),
)

NCIP_PEER = (
    Setting("agency", str, None, "The peer library's agency id: its ISIL, as in Base Bibliotek.", required=True,
            choices=Shape(r"[A-Z]{1,4}-[A-Za-z0-9:/-]{1,11}", "an ISIL such as NO-2030000")),
    Setting("name", str, "", "The peer library's name, for staff screens."),
    Setting("endpoint", str, "", "URL of the peer's NCIP responder (Base Bibliotek's nncip_uri); empty: we "
            "answer this peer but never ask it.", url=True),
    Setting("token_env", str, "", "Name of an environment variable holding the secret shared with this peer: "
            "sent as `Authorization: Bearer …` and required of its messages."),
    Setting("token", str, "", "The shared secret itself; prefer token_env."),
    Setting("addresses", list, [], "Client addresses (IPs) this peer's messages may come from; empty: any "
            "address, when a token is set. A peer needs a token, addresses, or both.", item=str),
)

SECTIONS = {"harvest": HARVEST, "search": SEARCH, "sparql": SPARQL, "oai": OAI, "portal": PORTAL, "staff": STAFF,
            "mail": MAIL, "scheduler": SCHEDULER, "circulation": CIRCULATION, "notices": NOTICES, "holds": HOLDS,
            "sip2": SIP2}
SECTIONS["ncip"] = NCIP


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
MailSettings = _table_class("MailSettings", tuple(Setting("sender" if s.name == "from" else s.name, s.type,
                                                          s.default, s.help, choices=s.choices, minimum=s.minimum)
                                                  for s in MAIL))
SchedulerSettings = _table_class("SchedulerSettings", SCHEDULER)
CirculationSettings = _table_class("CirculationSettings", CIRCULATION)
NoticesSettings = _table_class("NoticesSettings", NOTICES)
HoldsSettings = _table_class("HoldsSettings", HOLDS)
Route = _table_class("Route", ROUTE)
ServicePoint = _table_class("ServicePoint", SERVICE_POINT)
Sip2Settings = _table_class("Sip2Settings", SIP2)
Sip2Account = _table_class("Sip2Account", SIP2_ACCOUNT)
NcipSettings = _table_class("NcipSettings", NCIP)
NcipPeer = _table_class("NcipPeer", NCIP_PEER)


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
    mail: MailSettings = field(default_factory=MailSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    circulation: CirculationSettings = field(default_factory=CirculationSettings)
    notices: NoticesSettings = field(default_factory=NoticesSettings)
    holds: HoldsSettings = field(default_factory=HoldsSettings)
    routes: tuple[Route, ...] = ()
    service_points: tuple[ServicePoint, ...] = ()
    sip2: Sip2Settings = field(default_factory=Sip2Settings)
    sip2_accounts: tuple[Sip2Account, ...] = ()
    ncip: NcipSettings = field(default_factory=NcipSettings)
    ncip_peers: tuple[NcipPeer, ...] = ()

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        ids = [s.id for s in self.sources]
        raise ConfigError(f"unknown source {source_id!r}{did_you_mean(source_id, ids)} "
                          f"(configured: {', '.join(ids) or 'none'})", path=self.path)

    @property
    def default_database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'records.sqlite'}"


def _where(table: str, key: str) -> str:
    return f"{table} {key}" if table and table != "top level" else key


def did_you_mean(value, candidates) -> str:
    """ "; did you mean 'x'?" naming the nearest candidate (a typo, or a missing hyphen), or nothing."""
    if not isinstance(value, str):
        return ""
    found = difflib.get_close_matches(value, [str(c) for c in candidates], n=1, cutoff=0.6)
    if not found:
        folded = {str(c).lower().replace("-", "").replace("_", ""): str(c) for c in candidates}
        found = difflib.get_close_matches(value.lower().replace("-", "").replace("_", ""), folded, n=1,
                                          cutoff=0.6)
        found = [folded[f] for f in found]
    return f"; did you mean {found[0]!r}?" if found else ""


def allowed_values(values, limit: int = 12) -> str:
    """What a value must be, as a person reads it: "one of the allowed values (a, b, c)", or the phrase of a
    set too large or too open to list (character sets, ISILs), which then describes itself."""
    if hasattr(values, "describe"):
        return values.describe()
    values = [str(v) for v in values]
    shown = ", ".join(values) if len(values) <= limit else ", ".join(values[:limit]) + ", …"
    return f"one of the allowed values ({shown})"


def not_http_url(value: str) -> bool:
    """True unless `value` is an absolute http:// or https:// URL (with a host)."""
    parts = urlsplit(value)
    return parts.scheme not in ("http", "https") or not parts.netloc


class _Problems:
    """Every complaint about one file, collected so the operator fixes them all in one round."""

    def __init__(self, path: Path | None):
        self.path, self.items = path, []

    def add(self, table: str, key: str, message: str) -> None:
        self.items.append(Problem(table, key, message))

    def raise_any(self) -> None:
        if self.items:
            raise ConfigError.from_problems(self.items, path=self.path)


def _check_table(table: dict, spec: tuple[Setting, ...], problems: _Problems, where: str,
                 allowed: Mapping[str, Collection[str]]) -> dict:
    known = {s.name: s for s in spec}
    for key in table:
        if key not in known:
            problems.add(where, key, f"unknown key {key!r} in {where}{did_you_mean(key, known)} "
                                     f"(known: {', '.join(known)})")
    values = {}
    for setting in spec:
        name = _where(where, setting.name)
        values[setting.name] = setting.default
        if setting.name not in table:
            if setting.required:
                problems.add(where, setting.name, f"missing required key {setting.name!r} in {where}")
            continue
        value = table[setting.name]
        expected = setting.type if isinstance(setting.type, tuple) else (setting.type,)
        if isinstance(value, bool) and bool not in expected or not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            problems.add(where, setting.name, f"{name} must be {names}, not {type(value).__name__} ({value!r})")
            continue
        if setting.item is not None:
            if not all(isinstance(v, setting.item) and not isinstance(v, bool) for v in value):
                problems.add(where, setting.name, f"{name} must be a list of {setting.item.__name__}")
                continue
            value = tuple(value)
        choices = setting.choices
        if setting.allowed is not None:
            choices = allowed.get(setting.allowed, choices)
        if choices is not None and not (value == "" and setting.default == "") and value not in choices:
            problems.add(where, setting.name, f"{name} = {value!r} is not {allowed_values(choices)}"
                                              f"{did_you_mean(value, choices)}")
            continue
        if setting.minimum is not None and value < setting.minimum:
            problems.add(where, setting.name, f"{name} must be at least {setting.minimum:g}; got {value!r}")
            continue
        bad_urls = [v for v in (value if isinstance(value, tuple) else (value,)) if v and not_http_url(v)] \
            if setting.url else []
        if bad_urls:
            what = "hold http:// or https:// URLs" if setting.item else "be an http:// or https:// URL"
            problems.add(where, setting.name, f"{name} must {what}; got {bad_urls[0]!r}")
            continue
        values[setting.name] = value
    return values


def from_dict(data: dict, path: Path | None = None,
              allowed: Mapping[str, Collection[str]] | None = None) -> Settings:
    """Validate a parsed TOML document; every complaint names the file, table and key, and all of them
    are reported at once. `allowed` gives the allowed values of settings whose sets live in a higher
    layer (holdings profiles in transform, character sets in harvest): `transform.setting_values`
    provides them; without it those settings are checked for type only."""
    allowed = allowed or {}
    problems = _Problems(path)
    top_keys = {s.name for s in TOP_LEVEL}
    known = top_keys | set(SECTIONS) | {"sources", "routes", "service_points"}
    for key in data:
        if key not in known:
            problems.add("", key, f"unknown key {key!r} at top level{did_you_mean(key, known)}")
    top = _check_table({k: v for k, v in data.items() if k in top_keys}, TOP_LEVEL, problems, "top level", allowed)
    sections = {}
    for name, spec in SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            problems.add(name, name, f"[{name}] must be a table")
            table = {}
        if name == "sip2":
            table = {k: v for k, v in table.items() if k != "accounts"}
        if name == "ncip":
            table = {k: v for k, v in table.items() if k != "peers"}
        sections[name] = _check_table(table, spec, problems, f"[{name}]", allowed)

    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        problems.add("sources", "sources", "sources must be an array of tables ([[sources]])")
        raw_sources = []
    sources, seen = [], set()
    for n, table in enumerate(raw_sources, start=1):
        where = f"[[sources]] #{n}"
        if not isinstance(table, dict):
            problems.add(where, "sources", f"{where} must be a table")
            continue
        if isinstance(table.get("id"), str):
            where = f"[[sources]] #{n} (id {table['id']!r})"
        values = _check_table(table, SOURCE, problems, where, allowed)
        if values["id"] is None:
            continue
        if values["id"] in seen:
            problems.add(where, "id", f"duplicate source id {values['id']!r}")
        elif not values["id"] or not values["id"].replace("-", "").replace("_", "").isalnum():
            problems.add(where, "id", f"source id {values['id']!r} may hold only letters, digits, - and _")
        for origin in values["embed_origins"] if isinstance(values["embed_origins"], (list, tuple)) else ():
            if isinstance(origin, str) and not ORIGIN.fullmatch(origin):
                problems.add(where, "embed_origins", f"{where}.embed_origins: {origin[:80]!r} is not a web "
                             "origin such as https://www.example.no")
        seen.add(values["id"])
        if values["name"] is not None:
            sources.append(Source(**values))

    libraries_known = {s.id for s in sources} | {s.library for s in sources if s.library}
    for n, source in enumerate(sources, start=1):
        for library in source.access if isinstance(source.access, (list, tuple)) else ():
            if library not in libraries_known:
                problems.add(f"[[sources]] (id {source.id!r})", "access",
                             f"access names {library!r}, which is no configured library"
                             f"{did_you_mean(library, libraries_known)}")
    sip2_accounts = _sip2_accounts(data.get("sip2"), {s.id for s in sources}, problems)
    _check_notices(sections["notices"], problems)
    ncip_peers = _ncip_peers(data.get("ncip"), problems)
    routes = _routes(data.get("routes", []), {s.id for s in sources}, problems)
    service_points = _service_points(data.get("service_points", []), {s.id for s in sources},
                                     {r.name for r in routes}, problems)

    database_url = top["database_url"]
    if top["database_url_env"]:
        database_url = os.environ.get(top["database_url_env"], database_url)
        if not database_url:
            problems.add("top level", "database_url_env",
                         f"database_url_env names {top['database_url_env']}, which is not set in the "
                         "environment (and database_url is empty): set it, or remove database_url_env "
                         "to use SQLite in data_dir")
    if database_url:
        try:
            make_url(database_url)
        except ArgumentError:
            problems.add("top level", "database_url", "database_url is not an SQLAlchemy URL "
                         "(e.g. postgresql+psycopg://user@host/db)")
    problems.raise_any()

    base = path.parent if path else Path.cwd()
    data_dir = Path(top["data_dir"])
    if not data_dir.is_absolute():
        data_dir = (base / data_dir).resolve()
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
        mail=MailSettings(**{"sender" if k == "from" else k: v for k, v in sections["mail"].items()}),
        scheduler=SchedulerSettings(**sections["scheduler"]),
        circulation=CirculationSettings(**sections["circulation"]),
        notices=NoticesSettings(**sections["notices"]),
        holds=HoldsSettings(**sections["holds"]),
        routes=routes,
        service_points=service_points,
        sip2=Sip2Settings(**{**sections["sip2"], **{key: str((base / sections["sip2"][key]).resolve())
                                                     for key in ("tls_cert", "tls_key") if sections["sip2"][key]}}),
        sip2_accounts=sip2_accounts,
        ncip=NcipSettings(**sections["ncip"]),
        ncip_peers=ncip_peers,
        path=path,
    )
    if not settings.database_url:
        settings = Settings(**{**settings.__dict__, "database_url": settings.default_database_url})
    return settings


def _check_notices(values: dict, problems: _Problems) -> None:
    """What the table cannot say: reminder days rise, and the SMS parameters are a JSON object."""
    days = values["reminder_days"]
    if any(d < 1 for d in days) or list(days) != sorted(set(days)):
        problems.add("[notices]", "reminder_days", "[notices] reminder_days must be rising whole days after the "
                     f"due date, each at least 1; got {list(days)!r}")
    try:
        parameters = json.loads(values["sms_parameters"])
    except ValueError as exc:
        problems.add("[notices]", "sms_parameters", f"[notices] sms_parameters is not JSON: {exc}")
        return
    if not isinstance(parameters, dict):
        problems.add("[notices]", "sms_parameters", "[notices] sms_parameters must be a JSON object")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _array_of_tables(raw, name: str, section: str, spec: tuple[Setting, ...], required: tuple[str, ...],
                     problems: _Problems) -> Iterator[tuple[str, dict]]:
    """Each entry of the array of tables `[[name]]`, checked against its spec, with where it stands (for
    messages). An entry that is not a table, or lacks a required key, is reported and passed over, so every
    problem of a config is told at once."""
    key = name.rsplit(".", 1)[-1]
    if not isinstance(raw, list):
        problems.add(section, key, f"{name} must be an array of tables ([[{name}]])")
        return
    for n, entry in enumerate(raw, start=1):
        where = f"[[{name}]] #{n}"
        if not isinstance(entry, dict):
            problems.add(where, key, f"{where} must be a table")
            continue
        values = _check_table(entry, spec, problems, where, {})
        if all(values[k] is not None for k in required):
            yield where, values


def _routes(raw, source_ids: set[str], problems: _Problems) -> tuple:
    """The transport routes of `[[routes]]`: known weekdays, configured stops, no name twice."""
    out, seen = [], set()
    for where, values in _array_of_tables(raw, "routes", "routes", ROUTE, ("name",), problems):
        for day in values["days"]:
            if day not in WEEKDAYS:
                problems.add(where, "days", f"{where}.days: {day!r} is not {allowed_values(WEEKDAYS)}"
                                            f"{did_you_mean(day, WEEKDAYS)}")
        for stop in values["stops"]:
            if stop not in source_ids:
                problems.add(where, "stops", f"{where}.stops: {stop!r} is not a configured source"
                                             f"{did_you_mean(stop, source_ids)}")
        if values["name"] in seen:
            problems.add(where, "name", f"duplicate route name {values['name']!r}")
        seen.add(values["name"])
        out.append(Route(**{**values, "days": tuple(values["days"]), "stops": tuple(values["stops"])}))
    return tuple(out)


def _service_points(raw, source_ids: set[str], route_names: set[str], problems: _Problems) -> tuple:
    """The book-bus and book-boat stops of `[[service_points]]`: a configured route and home library, an id
    that is no source id (a pickup names either), no id twice."""
    if not isinstance(raw, list):
        problems.add("service_points", "service_points", "service_points must be an array of tables "
                                                         "([[service_points]])")
        return ()
    out, seen = [], set()
    for n, entry in enumerate(raw, start=1):
        where = f"[[service_points]] #{n}"
        if not isinstance(entry, dict):
            problems.add(where, "service_points", f"{where} must be a table")
            continue
        values = _check_table(entry, SERVICE_POINT, problems, where, {})
        if None in values.values():
            continue
        if values["id"] in source_ids or values["id"] in seen:
            problems.add(where, "id", f"{where}.id: {values['id']!r} is already a source or service point id")
        if values["route"] not in route_names:
            problems.add(where, "route", f"{where}.route: {values['route']!r} is not a [[routes]] name"
                                         f"{did_you_mean(values['route'], route_names)}")
        if values["library"] not in source_ids:
            problems.add(where, "library", f"{where}.library: {values['library']!r} is not a configured source"
                                           f"{did_you_mean(values['library'], source_ids)}")
        seen.add(values["id"])
        out.append(ServicePoint(**values))
    return tuple(out)


def _sip2_accounts(table, source_ids: set[str], problems: _Problems) -> tuple:
    """The kiosk logins of `[[sip2.accounts]]`: each names a configured source, and no login twice."""
    raw = table.get("accounts", []) if isinstance(table, dict) else []
    accounts, seen = [], set()
    for where, values in _array_of_tables(raw, "sip2.accounts", "[sip2]", SIP2_ACCOUNT, ("login", "library"),
                                          problems):
        if values["login"] in seen:
            problems.add(where, "login", f"duplicate SIP2 login {values['login']!r}")
        seen.add(values["login"])
        if values["library"] not in source_ids:
            problems.add(where, "library", f"library {values['library']!r} is not a configured source id"
                                           f"{did_you_mean(values['library'], source_ids)}")
        if values["password_env"]:
            values["password"] = os.environ.get(values["password_env"], values["password"])
        if not values["password"]:
            problems.add(where, "password", f"{where} has no password (set password or password_env)")
        accounts.append(Sip2Account(**values))
    return tuple(accounts)


def _ncip_peers(table, problems: _Problems) -> tuple:
    """The peer libraries of `[[ncip.peers]]`: each agency once, each with a way to tell it is really them."""
    raw = table.get("peers", []) if isinstance(table, dict) else []
    peers, seen = [], set()
    for where, values in _array_of_tables(raw, "ncip.peers", "[ncip]", NCIP_PEER, ("agency",), problems):
        if values["agency"] in seen:
            problems.add(where, "agency", f"duplicate NCIP peer agency {values['agency']!r}")
        seen.add(values["agency"])
        if values["token_env"]:
            values["token"] = os.environ.get(values["token_env"], values["token"])
        if not values["token"] and not values["addresses"]:
            problems.add(where, "token", f"{where} has neither a token (token or token_env) nor addresses: "
                                         "anyone could speak for this library")
        peers.append(NcipPeer(**values))
    return tuple(peers)


def load(path: str | os.PathLike, allowed: Mapping[str, Collection[str]] | None = None) -> Settings:
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("configuration file not found", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    return from_dict(data, path=path.resolve(), allowed=allowed)


def meaning(setting: Setting) -> str:
    """A setting's help with what the table says of its allowed values (the reference and `grenselos init`)."""
    if isinstance(setting.choices, Shape):
        extra = f" Must be {setting.choices.describe()}."
    else:
        extra = f" One of: {', '.join(setting.choices)}." if setting.choices else ""
    extra += f" At least {setting.minimum:g}." if setting.minimum is not None else ""
    extra += (" http:// or https:// URLs." if setting.item else " An http:// or https:// URL.") if setting.url else ""
    return setting.help + extra


def reference() -> str:
    """The configuration reference as Markdown, generated from the tables above."""
    lines = []
    for title, spec in (("Top level", TOP_LEVEL), *((f"[{n}]", s) for n, s in SECTIONS.items()),
                        ("[[sources]]", SOURCE), ("[[sip2.accounts]]", SIP2_ACCOUNT),
                        ("[[ncip.peers]]", NCIP_PEER), ("[[routes]]", ROUTE),
                        ("[[service_points]]", SERVICE_POINT)):
        lines += [f"#### {title}", "", "| key | default | meaning |", "|---|---|---|"]
        for s in spec:
            default = "(required)" if s.required else repr(list(s.default) if s.item else s.default)
            lines.append(f"| `{s.name}` | `{default}` | {meaning(s)} |")
        lines.append("")
    return "\n".join(lines)
