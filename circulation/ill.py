"""Inter-library loans with libraries outside the county, over NCIP (NNCIPP 1.0): the staff actions on both
sides and the state changes the peer's messages make (`circulation.ncip.responder` reads those messages).

Why it is built like this:
- A library is an NCIP agency by its ISIL, and the one reading of which ISIL is which library is
  `vocab.libraries` (a configured source with an `isil`). A request names the patron's home library's ISIL
  as the requesting agency, and the peer's ISIL as the owner.
- We ask outside the county only when no copy of the title (this record, or one sharing an ISBN) stands
  available at a county library: inside the county the holds do the work.
- Every change that a peer must hear of is sent first and written after the peer accepted it, so the two
  sides never disagree about a state the peer refused; on the lending side the loan to the borrowing
  library is made first and undone when the peer cannot be told.
- The lending side lends its copy to an `ill-library` patron standing for the peer (card = the peer's ISIL),
  so rules, due dates, renewals and the statistics' "inter-library loans out" work as for any loan. The
  borrowing side keeps its patron's loan on the request row (the copy is not in its catalogue); the
  statistics count those as "inter-library loans in".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update

from circulation import patrons as patron_store
from circulation.ill_tables import OPEN_STATES, ill_requests
from circulation.ncip import client, messages
from circulation.service import Circulation
from circulation.tables import patrons
from core.clock import now as _now
from transform.cluster_keys import ClusterKeys, isbn13
from transform.copies import copies
from transform.tables import cluster_keys, transform_records
from vocab import libraries as vocab_libraries

#: Reasons an ILL action gives (portal.circulation_text words them).
OK = ""
AVAILABLE_IN_COUNTY = "ill_available_in_county"
NO_PEER = "ill_no_peer"
PEER_REFUSED = "ill_peer_refused"
PEER_UNREACHABLE = "ill_peer_unreachable"
NO_ISIL = "ill_no_isil"
UNKNOWN_REQUEST = "ill_unknown_request"
WRONG_STATE = "ill_wrong_state"
RECORD_NOT_FOUND = "ill_record_not_found"
NO_ISBN = "ill_no_isbn"
PATRON_NOT_FOUND = "patron_not_found"
NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class IllResult:
    ok: bool
    reason: str
    request: dict | None = None
    detail: str = ""


def as_dict(r) -> dict:
    return {"id": r.id, "role": r.role, "library": r.library, "peer": r.peer_agency,
            "request_agency": r.request_agency, "request_id": r.request_value, "state": r.state,
            "record": r.record, "title": r.title, "barcode": r.barcode, "user": r.user_id,
            "due_date": r.due_date.isoformat() if r.due_date else None, "renewals": r.renewals,
            "lent_at": r.lent_at.isoformat(timespec="seconds") if r.lent_at else None,
            "returned_at": r.returned_at.isoformat(timespec="seconds") if r.returned_at else None,
            "note": r.note, "created_at": r.created_at.isoformat(timespec="seconds")}


class InterLibraryLoans:
    """ILL over one database; `transport(peer, body, timeout) -> messages.Message` sends to a peer."""

    def __init__(self, circ: Circulation, transport=client.post):
        self.circ = circ
        self.engine = circ.engine
        self.settings = circ.settings
        self.directory = vocab_libraries.directory(self.settings)
        self.peers = {p.agency: p for p in getattr(self.settings, "ncip_peers", ())}
        self.transport = transport

    # --- identity --------------------------------------------------------------------------------------

    def library_of_agency(self, agency: str):
        """Our lending library with this ISIL (a configured, circulating source), or None."""
        library = self.directory.by_isil.get(agency or "")
        if library is None or not library.source or library.id not in self.circ.circulating_libraries:
            return None
        return library

    def agency_of(self, library_id: str) -> str:
        library = self.directory.get(library_id)
        return library.isil if library is not None else ""

    def peer(self, agency: str):
        return self.peers.get(agency)

    def _send(self, peer, body: bytes) -> messages.Message:
        return self.transport(peer, body, self.settings.ncip.timeout)

    def _exchange(self, peer, body: bytes) -> tuple[messages.Message | None, IllResult | None]:
        """The peer's answer, or the IllResult that says why there is none worth acting on."""
        try:
            answer = self._send(peer, body)
        except client.PeerUnreachable as exc:
            return None, IllResult(False, PEER_UNREACHABLE, detail=str(exc))
        if answer.problems:
            p = answer.problems[0]
            return answer, IllResult(False, PEER_REFUSED, detail=f"{p.type}: {p.detail}".strip(": "))
        return answer, None

    # --- reading ---------------------------------------------------------------------------------------

    def _row(self, conn, request_id: int):
        return conn.execute(select(ill_requests).where(ill_requests.c.id == request_id)).first()

    def get(self, request_id: int) -> dict | None:
        with self.engine.connect() as conn:
            r = self._row(conn, request_id)
        return as_dict(r) if r is not None else None

    def requests(self, library: str | None = None, *, open_only: bool = False, card: str | None = None) -> list[dict]:
        q = select(ill_requests).order_by(ill_requests.c.id.desc())
        if library:
            q = q.where(ill_requests.c.library == self.circ.library_id(library))
        if open_only:
            q = q.where(ill_requests.c.state.in_(OPEN_STATES))
        with self.engine.connect() as conn:
            if card:
                q = q.where(ill_requests.c.patron_id == select(patrons.c.id).where(patrons.c.card == card)
                            .scalar_subquery())
            return [as_dict(r) for r in conn.execute(q)]

    def find(self, conn, role: str, request_agency: str, request_value: str, *, barcode: str = "",
             peer: str = ""):
        """The row a message names: by its RequestId, else (ItemReceived carries only the ItemId) by the
        barcode of an open request with that peer."""
        if request_value:
            return conn.execute(select(ill_requests).where(
                ill_requests.c.role == role, ill_requests.c.request_value == request_value,
                or_(ill_requests.c.request_agency == request_agency, request_agency == ""))).first()
        if barcode:
            return conn.execute(select(ill_requests).where(
                ill_requests.c.role == role, ill_requests.c.barcode == barcode,
                ill_requests.c.peer_agency == peer, ill_requests.c.state.in_(OPEN_STATES))
                .order_by(ill_requests.c.id.desc())).first()
        return None

    def _set(self, conn, request_id: int, **values) -> None:
        conn.execute(update(ill_requests).where(ill_requests.c.id == request_id).values(updated_at=_now(), **values))

    # --- the record and the county ---------------------------------------------------------------------

    def _record(self, conn, public_id: str):
        """(source, identifier, ClusterKeys) of a record's public id `{source}-{record_id}`, or None."""
        for source in self.settings.sources:
            if public_id.startswith(source.id + "-"):
                r = conn.execute(select(transform_records.c.identifier, transform_records.c["keys"]).where(
                    transform_records.c.source == source.id,
                    transform_records.c.record_id == public_id[len(source.id) + 1:])).first()
                if r is not None:
                    return source.id, r.identifier, ClusterKeys.from_json(r._mapping["keys"])
        return None

    def _records_sharing(self, conn, isbns) -> list[tuple[str, str]]:
        keys = [f"isbn:{i}" for i in isbns]
        if not keys:
            return []
        return [(r.source, r.identifier) for r in conn.execute(
            select(cluster_keys.c.source, cluster_keys.c.identifier).where(cluster_keys.c.key.in_(keys)))]

    def available_in_county(self, conn, records: list[tuple[str, str]]) -> int:
        """How many copies of these records stand available at a county library."""
        if not records:
            return 0
        found = conn.execute(select(copies.c.library).where(
            or_(*(and_(copies.c.source == s, copies.c.identifier == i) for s, i in records)),
            copies.c.status == "available")).all()
        return sum(1 for (library,) in found if library and (lib := self.directory.get(library)) is not None
                   and lib.in_region)

    def copies_for(self, conn, library: str, bibliographic: tuple[tuple[str, str], ...]):
        """Our copies at `library` of the title a peer asks for (by ISBN or our record id), available first."""
        records: list[tuple[str, str]] = []
        for kind, value in bibliographic:
            if kind.upper() in ("ISBN", "EAN"):
                isbn = isbn13(value)
                if isbn:
                    records += self._records_sharing(conn, [isbn])
            else:                    # OwnerLocalRecordID: our public record id, or the record's own identifier
                found = self._record(conn, value)
                own = self.directory.get(library)
                records.append(found[:2] if found is not None else (own.source if own else "", value))
        if not records:
            return []
        rows = conn.execute(select(copies).where(
            or_(*(and_(copies.c.source == s, copies.c.identifier == i) for s, i in records)),
            copies.c.library == library)).all()
        return sorted(rows, key=lambda r: (r.status != "available", r.id))

    # --- borrowing side: the patron's library -----------------------------------------------------------

    def request(self, card: str, record: str, *, peer: str | None = None, isbns=(), at: datetime | None = None) \
            -> IllResult:
        """Ask a library outside the county for a loan of `record` for patron `card` (NNCIPP RequestItem),
        when no county copy is available. Peers are tried in configuration order (or only `peer`)."""
        at = at or _now()
        with self.engine.connect() as conn:
            p = conn.execute(select(patrons).where(patrons.c.card == (card or "").strip())).first()
            if p is None:
                return IllResult(False, PATRON_NOT_FOUND)
            found = self._record(conn, record)
            if found is None and not isbns:
                return IllResult(False, RECORD_NOT_FOUND)
            keys = found[2] if found else ClusterKeys()
            wanted = tuple(dict.fromkeys([*(isbn13(i) or i for i in isbns), *keys.isbns]))
            records = ([found[:2]] if found else []) + self._records_sharing(conn, wanted)
            if self.available_in_county(conn, records):
                return IllResult(False, AVAILABLE_IN_COUNTY)
        if not wanted:                   # our record ids mean nothing to another library's system
            return IllResult(False, NO_ISBN)
        agency = self.agency_of(p.library)
        if not agency:
            return IllResult(False, NO_ISIL)
        candidates = [self.peers[peer]] if peer in self.peers else [] if peer else \
            [q for q in self.peers.values() if q.endpoint]
        if not candidates:
            return IllResult(False, NO_PEER)
        title = self.circ.titles(record) if found else ""
        value = f"{p.library}-{secrets.token_hex(6)}"
        last = IllResult(False, NO_PEER)
        for candidate in candidates:
            body = messages.request_item(agency, candidate.agency, request_id=value, user=p.card, isbns=wanted,
                                         title=title)
            answer, failed = self._exchange(candidate, body)
            if failed is not None:
                last = failed
                continue
            with self.engine.begin() as conn:
                request_id = conn.execute(insert(ill_requests).values(
                    role="borrowing", library=p.library, peer_agency=candidate.agency, request_agency=agency,
                    request_value=value, state="requested", patron_id=p.id, user_id=p.card, record=record,
                    bibliographic="\n".join(f"ISBN:{i}" for i in wanted), title=title or answer.title,
                    barcode=answer.item_id, created_at=at, updated_at=at)).inserted_primary_key[0]
                return IllResult(True, OK, as_dict(self._row(conn, request_id)))
        return last

    def receive(self, request_id: int, at: datetime | None = None) -> IllResult:
        """The copy arrived: on the borrowing side from the owner (ItemReceived, call 5), on the lending side
        back home (call 7, and the loan to the peer library is returned)."""
        at = at or _now()
        with self.engine.connect() as conn:
            r = self._row(conn, request_id)
        if r is None:
            return IllResult(False, UNKNOWN_REQUEST)
        if not (r.role == "borrowing" and r.state == "shipped" or r.role == "lending" and r.state == "shipped_back"):
            return IllResult(False, WRONG_STATE, as_dict(r))
        peer = self.peer(r.peer_agency)
        if peer is None:
            return IllResult(False, NO_PEER, as_dict(r))
        if r.role == "lending":
            self.circ.checkin(r.barcode, r.library, at=at)
        body = messages.item_received(self.agency_of(r.library), r.peer_agency, request_agency=r.request_agency,
                                      request_id=r.request_value, barcode=r.barcode, received=at)
        _, failed = self._exchange(peer, body)
        if failed is not None:
            return IllResult(False, failed.reason, as_dict(r), failed.detail)
        with self.engine.begin() as conn:
            self._set(conn, r.id, state="received" if r.role == "borrowing" else "done")
            return IllResult(True, OK, as_dict(self._row(conn, r.id)))

    def lend(self, request_id: int, at: datetime | None = None) -> IllResult:
        """Lend the received copy to the patron who asked for it, until the owner's due date."""
        at = at or _now()
        with self.engine.begin() as conn:
            r = self._row(conn, request_id)
            if r is None:
                return IllResult(False, UNKNOWN_REQUEST)
            if r.role != "borrowing" or r.state != "received":
                return IllResult(False, WRONG_STATE, as_dict(r))
            self._set(conn, r.id, state="lent", lent_at=at)
            return IllResult(True, OK, as_dict(self._row(conn, r.id)))

    def give_back(self, request_id: int, at: datetime | None = None) -> IllResult:
        """The patron returned the borrowed copy at the desk; it waits to be shipped back."""
        at = at or _now()
        with self.engine.begin() as conn:
            r = self._row(conn, request_id)
            if r is None:
                return IllResult(False, UNKNOWN_REQUEST)
            if r.role != "borrowing" or r.state != "lent":
                return IllResult(False, WRONG_STATE, as_dict(r))
            self._set(conn, r.id, state="returned", returned_at=at)
            return IllResult(True, OK, as_dict(self._row(conn, r.id)))

    def renew(self, request_id: int) -> IllResult:
        """Ask the owner for a later due date (RenewItem); the patron's loan follows."""
        with self.engine.connect() as conn:
            r = self._row(conn, request_id)
        if r is None:
            return IllResult(False, UNKNOWN_REQUEST)
        if r.role != "borrowing" or r.state not in ("received", "lent"):
            return IllResult(False, WRONG_STATE, as_dict(r))
        peer = self.peer(r.peer_agency)
        if peer is None:
            return IllResult(False, NO_PEER, as_dict(r))
        answer, failed = self._exchange(peer, messages.renew_item(self.agency_of(r.library), r.peer_agency,
                                                                  user=r.user_id, barcode=r.barcode))
        if failed is not None:
            return IllResult(False, failed.reason, as_dict(r), failed.detail)
        with self.engine.begin() as conn:
            self._set(conn, r.id, due_date=messages.day_of(answer.date_due) or r.due_date, renewals=r.renewals + 1)
            return IllResult(True, OK, as_dict(self._row(conn, r.id)))

    # --- either side ------------------------------------------------------------------------------------

    def ship(self, request_id: int, at: datetime | None = None) -> IllResult:
        """Send the copy: the owner to the borrower (ItemShipped, call 4: the copy is lent to the peer library),
        or the borrower back home once the patron returned it (call 6)."""
        at = at or _now()
        with self.engine.connect() as conn:
            r = self._row(conn, request_id)
        if r is None:
            return IllResult(False, UNKNOWN_REQUEST)
        if not (r.role == "lending" and r.state == "requested" or r.role == "borrowing" and r.state == "returned"):
            return IllResult(False, WRONG_STATE, as_dict(r))
        peer = self.peer(r.peer_agency)
        if peer is None:
            return IllResult(False, NO_PEER, as_dict(r))
        library = self.directory.get(r.library)
        address = self.settings.ncip.ship_address or (library.name if library else r.library)
        due = r.due_date
        if r.role == "lending":
            self._library_patron(r.peer_agency, r.library, peer.name)
            lent = self.circ.checkout(r.peer_agency, r.barcode, r.library, at=at, desk="ncip")
            if not lent.ok:
                return IllResult(False, lent.reason, as_dict(r))
            due = lent.loan.due_date
        body = messages.item_shipped(self.agency_of(r.library), r.peer_agency, request_agency=r.request_agency,
                                     request_id=r.request_value, barcode=r.barcode, user=r.user_id, shipped=at,
                                     address=address, due=due)
        _, failed = self._exchange(peer, body)
        if failed is not None:
            if r.role == "lending":
                self.circ.checkin(r.barcode, r.library, at=at)
            return IllResult(False, failed.reason, as_dict(r), failed.detail)
        with self.engine.begin() as conn:
            self._set(conn, r.id, state="shipped" if r.role == "lending" else "shipped_back", due_date=due)
            return IllResult(True, OK, as_dict(self._row(conn, r.id)))

    def cancel(self, request_id: int, note: str = "") -> IllResult:
        """Withdraw a request not yet shipped (CancelRequestItem), on either side."""
        with self.engine.connect() as conn:
            r = self._row(conn, request_id)
        if r is None:
            return IllResult(False, UNKNOWN_REQUEST)
        if r.state != "requested":
            return IllResult(False, WRONG_STATE, as_dict(r))
        peer = self.peer(r.peer_agency)
        if peer is not None and peer.endpoint:
            _, failed = self._exchange(peer, messages.cancel_request_item(
                self.agency_of(r.library), r.peer_agency, user=r.user_id, request_agency=r.request_agency,
                request_id=r.request_value))
            if failed is not None and failed.reason == PEER_UNREACHABLE:
                return IllResult(False, failed.reason, as_dict(r), failed.detail)
        with self.engine.begin() as conn:
            self._set(conn, r.id, state="cancelled", note=note[:512])
            return IllResult(True, OK, as_dict(self._row(conn, r.id)))

    def _library_patron(self, agency: str, library: str, name: str) -> None:
        """The `ill-library` patron standing for a peer library at our lending library (made on first use)."""
        with self.engine.begin() as conn:
            if conn.execute(select(patrons.c.id).where(patrons.c.card == agency)).first() is not None:
                return
            patron_store.upsert(conn, patron_store.PatronInput(
                card=agency, name=name or agency, library=library, category="ill-library",
                pin=secrets.token_urlsafe(24)))

    # --- lending side: what a peer's RequestItem makes ---------------------------------------------------

    def accept_request(self, conn, library, m: messages.Message, at: datetime) -> tuple[object | None, str]:
        """Record a peer's RequestItem against a copy of ours; (row, "") or (None, problem type)."""
        existing = self.find(conn, "lending", m.request_agency or m.from_agency, m.request_id) \
            if m.request_id else None
        if existing is not None:
            return existing, ""
        wanted = m.bibliographic_ids
        if m.item_id:
            rows = conn.execute(select(copies).where(copies.c.item_id == m.item_id,
                                                     copies.c.library == library.id)).all()
        else:
            rows = self.copies_for(conn, library.id, wanted)
        if not rows:
            return None, "Unknown Item"
        copy = rows[0]
        if copy.status != "available":
            return None, "Item Not Available By Need Before Date"
        value = m.request_id or f"{library.id}-{secrets.token_hex(6)}"
        agency = m.request_agency or (m.from_agency if m.request_id else library.isil)
        request_id = conn.execute(insert(ill_requests).values(
            role="lending", library=library.id, peer_agency=m.from_agency, request_agency=agency,
            request_value=value, state="requested", user_id=m.user_id or "",
            record=self.circ._record_id(conn, copy.source, copy.identifier),
            bibliographic="\n".join(f"{k}:{v}" for k, v in wanted), title=m.title[:512], barcode=copy.item_id,
            copy_id=copy.id, created_at=at, updated_at=at)).inserted_primary_key[0]
        return self._row(conn, request_id), ""

