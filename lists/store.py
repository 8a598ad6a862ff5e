"""Reading and writing curated lists: one small class over the one database engine.

Every write runs in one transaction and stamps `updated_at`/`updated_by`; given an `Actor`, it also
writes the staff audit event (`accounts.audit`: list_created, list_updated, …) in that transaction; who may write which list is
the caller's question (the portal asks `accounts.roles`), but the store keeps the facts that question
needs: a list's owners. Reading the published lists is one query for the lists, one for their owners
and one for their item counts, whatever their number, so the front page stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from accounts import audit
from core.clock import aware, now as now_utc
from lists import model
from lists.errors import ListError
from lists.model import CuratedList, Item
from lists.tables import list_items, list_owners, list_views, lists

LIST_CREATED, LIST_UPDATED, LIST_DELETED = "list_created", "list_updated", "list_deleted"
LIST_COPIED, LIST_OWNERS, LIST_ITEMS_ADDED = "list_copied", "list_owners_changed", "list_items_added"


@dataclass(frozen=True)
class Actor:
    """Who changes a list, for the staff audit trail (written in the change's own transaction)."""
    username: str
    library: str | None = None
    client: str | None = None


def _audit(conn, by, event: str, list_id: int, detail: str = "") -> None:
    if isinstance(by, Actor):
        audit.record(conn, event, library=by.library, principal=by.username, client=by.client,
                     target=f"list {list_id}", detail=detail or None)


def _name(by) -> str:
    return by.username if isinstance(by, Actor) else str(by or "")


#: Fields a create or an update may set, each with the check that turns sent JSON into stored values.
_FIELDS = ("title", "blurb", "languages", "audiences", "themes", "campaign", "campaign_date", "publish_at",
           "unpublish_at", "saved_search", "published")


class ListStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- reading ----------------------------------------------------------------------------------------

    def get(self, list_id: int, *, items: bool = True) -> CuratedList | None:
        found = self._load(lists.c.id == list_id, items=items)
        return found[0] if found else None

    def published(self, at: datetime | None = None, *, library: str | None = None, audience: str | None = None,
                  language: str | None = None, limit: int = 200) -> list[CuratedList]:
        """Lists up at `at`, newest first; `library`: owned by it; `language`: written in it."""
        at = at or now_utc()
        where = [lists.c.publish_at.is_not(None), lists.c.publish_at <= at,
                 or_(lists.c.unpublish_at.is_(None), lists.c.unpublish_at > at)]
        if library:
            where.append(lists.c.id.in_(select(list_owners.c.list_id).where(list_owners.c.library == library)))
        found = self._load(and_(*where), items=False, limit=limit)
        if audience:
            found = [c for c in found if audience in c.audiences]
        if language:
            found = [c for c in found if language in c.languages]
        return found

    def owned_by(self, library: str) -> list[CuratedList]:
        return self._load(lists.c.id.in_(select(list_owners.c.list_id).where(list_owners.c.library == library)),
                          items=False, limit=1000)

    def all(self, limit: int = 10000) -> list[CuratedList]:
        return self._load(None, items=True, limit=limit)

    def _load(self, where, *, items: bool, limit: int = 1) -> list[CuratedList]:
        query = select(lists).order_by(lists.c.publish_at.desc().nulls_last(), lists.c.id.desc()).limit(limit)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).fetchall()
            if not rows:
                return []
            ids = [r.id for r in rows]
            owners: dict[int, list[str]] = {}
            for r in conn.execute(select(list_owners).where(list_owners.c.list_id.in_(ids))
                                  .order_by(list_owners.c.library)):
                owners.setdefault(r.list_id, []).append(r.library)
            counts = dict(conn.execute(select(list_items.c.list_id, func.count()).where(
                list_items.c.list_id.in_(ids)).group_by(list_items.c.list_id)).fetchall())
            entries: dict[int, list[Item]] = {}
            if items:
                for r in conn.execute(select(list_items).where(list_items.c.list_id.in_(ids))
                                      .order_by(list_items.c.list_id, list_items.c.position)):
                    entries.setdefault(r.list_id, []).append(Item(r.record_id, r.position, dict(r.blurbs or {})))
        return [CuratedList(
            id=r.id, languages=tuple(x for x in r.languages.split(",") if x) or ("nb",),
            titles=dict(r.titles or {}), blurbs=dict(r.blurbs or {}), owners=tuple(owners.get(r.id, ())),
            audiences=tuple(r.audiences.split()), themes=tuple(r.themes.split()), campaign=r.campaign,
            campaign_date=r.campaign_date, publish_at=aware(r.publish_at), unpublish_at=aware(r.unpublish_at),
            saved_search=r.saved_search, origin=r.origin, origin_library=r.origin_library,
            items=tuple(entries.get(r.id, ())), item_count=counts.get(r.id, 0),
            created_at=aware(r.created_at), updated_at=aware(r.updated_at)) for r in rows]

    # -- writing ----------------------------------------------------------------------------------------

    def create(self, owners: list[str] | tuple[str, ...], data: dict, *, by: Actor | str = "",
               at: datetime | None = None) -> int:
        """A new list owned by `owners` from `data` (the API's JSON shape); returns its id."""
        at = at or now_utc()
        owners = [o for o in dict.fromkeys(owners) if o]
        if not owners:
            raise ListError("owners", "a list belongs to at least one library")
        values = self._values(data, None, at)
        if not values.get("titles"):
            raise ListError("title", "a list needs a title in at least one language (nb, nn, se, en)")
        items = _items(data)
        with self.engine.begin() as conn:
            list_id = conn.execute(insert(lists).values(
                **{"titles": {}, "blurbs": {}, "languages": "nb", **values},
                created_at=at, updated_at=at, updated_by=_name(by))).inserted_primary_key[0]
            conn.execute(insert(list_owners), [{"list_id": list_id, "library": o} for o in owners])
            _write_items(conn, list_id, items, at)
            _audit(conn, by, LIST_CREATED, list_id, "published" if values.get("publish_at") else "")
        return list_id

    def update(self, list_id: int, data: dict, *, by: Actor | str = "", at: datetime | None = None) -> bool:
        """Change what `data` names (the API's PUT: fields left out stay); `items` replaces the titles
        in the order given (which is how staff reorder). False when there is no such list."""
        at = at or now_utc()
        current = self.get(list_id, items=True)
        if current is None:
            return False
        values = self._values(data, current, at)
        if "titles" in values and not values["titles"]:
            raise ListError("title", "a list needs a title in at least one language (nb, nn, se, en)")
        with self.engine.begin() as conn:
            conn.execute(update(lists).where(lists.c.id == list_id).values(**values, updated_at=at,
                                                                            updated_by=_name(by)))
            if "items" in data:
                old = {i.record_id: i for i in current.items}
                conn.execute(delete(list_items).where(list_items.c.list_id == list_id))
                _write_items(conn, list_id, _items(data, old), at)
            _audit(conn, by, LIST_UPDATED, list_id, ", ".join(sorted(set(values) | ({"items"} & set(data)))))
        return True

    def _values(self, data: dict, current: CuratedList | None, at: datetime) -> dict:
        if not isinstance(data, dict):
            raise ListError("list", "must be a JSON object")
        unknown = set(data) - set(_FIELDS) - {"items", "owners"}
        if unknown:
            raise ListError(sorted(unknown)[0], "unknown field")
        out: dict = {}
        titles = model.texts(data.get("title"), "title", model.MAX_TITLE) if "title" in data else None
        blurbs = model.texts(data.get("blurb"), "blurb", model.MAX_BLURB) if "blurb" in data else None
        if titles is not None:
            out["titles"] = titles
        if blurbs is not None:
            out["blurbs"] = blurbs
        if titles is not None or blurbs is not None or "languages" in data:
            langs = model.languages_of(titles if titles is not None else (current.titles if current else {}),
                                       blurbs if blurbs is not None else (current.blurbs if current else {}),
                                       data.get("languages") or (current.languages if current else None))
            out["languages"] = ",".join(langs)
        if "audiences" in data:
            out["audiences"] = " ".join(model.tags(data["audiences"], "audiences", model.AUDIENCES))
        if "themes" in data:
            out["themes"] = " ".join(model.tags(data["themes"], "themes"))
        if "campaign" in data:
            campaign = data["campaign"] or ""
            if not isinstance(campaign, str) or len(campaign) > 256:
                raise ListError("campaign", "a name of at most 256 characters")
            out["campaign"] = campaign.strip()
        if "campaign_date" in data:
            out["campaign_date"] = model.day(data["campaign_date"], "campaign_date")
        if "publish_at" in data:
            out["publish_at"] = model.when(data["publish_at"], "publish_at")
        if "unpublish_at" in data:
            out["unpublish_at"] = model.when(data["unpublish_at"], "unpublish_at")
        if "published" in data:
            if not isinstance(data["published"], bool):
                raise ListError("published", "must be true or false")
            if data["published"] and "publish_at" not in data:
                already = current is not None and current.publish_at is not None and current.publish_at <= at
                out["publish_at"] = current.publish_at if already else at
                if current is not None and current.state(at) == "ended" and "unpublish_at" not in data:
                    out["unpublish_at"] = None            # publishing an ended list puts it up again
            elif not data["published"]:
                out["publish_at"] = None
        start = out.get("publish_at", current.publish_at if current else None)
        end = out.get("unpublish_at", current.unpublish_at if current else None)
        if start is not None and end is not None and end <= start:
            raise ListError("unpublish_at", "must be after publish_at")
        if "saved_search" in data:
            query = data["saved_search"] or ""
            if not isinstance(query, str) or len(query) > 1000:
                raise ListError("saved_search", "a search (the part of a /search address after ?)")
            out["saved_search"] = query.strip().lstrip("?")
        return out

    def set_owners(self, list_id: int, owners: list[str], *, by: Actor | str = "") -> None:
        owners = [o for o in dict.fromkeys(owners) if o]
        if not owners:
            raise ListError("owners", "a list belongs to at least one library")
        with self.engine.begin() as conn:
            conn.execute(delete(list_owners).where(list_owners.c.list_id == list_id))
            conn.execute(insert(list_owners), [{"list_id": list_id, "library": o} for o in owners])
            conn.execute(update(lists).where(lists.c.id == list_id).values(updated_at=now_utc(),
                                                                          updated_by=_name(by)))
            _audit(conn, by, LIST_OWNERS, list_id, " ".join(owners))

    def add_items(self, list_id: int, record_ids: list[str], *, by: Actor | str = "") -> int:
        """Append titles not yet on the list; returns how many were added."""
        current = self.get(list_id)
        if current is None:
            raise ListError("list", "no such list")
        have = {i.record_id for i in current.items}
        new = [r for r in dict.fromkeys(record_ids) if r not in have]
        if len(have) + len(new) > model.MAX_ITEMS:
            raise ListError("items", f"at most {model.MAX_ITEMS} titles in a list")
        at = now_utc()
        with self.engine.begin() as conn:
            start = max((i.position for i in current.items), default=0)
            if new:
                conn.execute(insert(list_items), [{"list_id": list_id, "position": start + n, "record_id": r,
                                                   "blurbs": {}, "added_at": at} for n, r in enumerate(new, 1)])
            conn.execute(update(lists).where(lists.c.id == list_id).values(updated_at=at, updated_by=_name(by)))
            _audit(conn, by, LIST_ITEMS_ADDED, list_id, str(len(new)))
        return len(new)

    def delete(self, list_id: int, *, by: Actor | str = "") -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(lists).where(lists.c.id == list_id)).rowcount > 0
            if gone:
                _audit(conn, by, LIST_DELETED, list_id)
            return gone

    def copy(self, list_id: int, library: str, *, by: Actor | str = "") -> int:
        """A draft copy of a list, owned by `library` alone, remembering the list it came from."""
        source = self.get(list_id)
        if source is None:
            raise ListError("list", "no such list")
        at = now_utc()
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(lists).values(
                languages=",".join(source.languages), titles=source.titles, blurbs=source.blurbs,
                audiences=" ".join(source.audiences), themes=" ".join(source.themes), campaign=source.campaign,
                campaign_date=source.campaign_date, saved_search=source.saved_search, origin=source.id,
                origin_library=source.owners[0] if source.owners else "", created_at=at, updated_at=at,
                updated_by=_name(by))).inserted_primary_key[0]
            conn.execute(insert(list_owners).values(list_id=new_id, library=library))
            _write_items(conn, new_id, [(i.record_id, i.blurbs) for i in source.items], at)
            _audit(conn, by, LIST_COPIED, new_id, f"from list {list_id}")
        return new_id

    # -- what a list did -----------------------------------------------------------------------------

    def count_view(self, list_id: int, on: date | None = None) -> None:
        """One more view of the list today (a counter per list and day; nothing about who viewed)."""
        on = on or now_utc().date()
        with self.engine.begin() as conn:
            done = conn.execute(update(list_views).where(list_views.c.list_id == list_id, list_views.c.day == on)
                                .values(views=list_views.c.views + 1)).rowcount
            if not done:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(list_views).values(list_id=list_id, day=on, views=1))
                except IntegrityError:  # another request inserted the day's row first: count on it
                    conn.execute(update(list_views).where(list_views.c.list_id == list_id,
                                                          list_views.c.day == on)
                                 .values(views=list_views.c.views + 1))

    def views(self, list_id: int) -> list[tuple[date, int]]:
        with self.engine.connect() as conn:
            return [(r.day, r.views) for r in conn.execute(
                select(list_views).where(list_views.c.list_id == list_id).order_by(list_views.c.day))]


def _items(data: dict, old: dict | None = None) -> list[tuple[str, dict]]:
    """(record id, blurbs) in the order sent; a title sent as a bare id keeps the blurbs it had."""
    raw = data.get("items")
    ids = model.record_ids(raw)
    blurbs = {}
    for entry in raw or []:
        if isinstance(entry, dict) and "blurb" in entry:
            blurbs[entry["record"].strip()] = model.texts(entry["blurb"], "items.blurb", model.MAX_BLURB)
    return [(r, blurbs.get(r, old[r].blurbs if old and r in old else {})) for r in ids]


def _write_items(conn, list_id: int, items: list[tuple[str, dict]], at: datetime) -> None:
    if items:
        conn.execute(insert(list_items), [{"list_id": list_id, "position": n, "record_id": r, "blurbs": b,
                                           "added_at": at} for n, (r, b) in enumerate(items, 1)])

