"""Work clusters: which records from different libraries describe the same edition.

Assignment is incremental and batch-wise: the keys of changed records replace their old rows in the
key index, candidates are found by shared keys among records of OTHER sources, and `cluster_rules`
decides each pair. A cluster holds at most one record per source (as in Finna), so one library's
two copies of a title never chain two editions together.

Cluster ids are stable: a new cluster takes the id of its first record (`{source}-{record_id}`) and
keeps it while any record remains, so work URIs do not churn when records come and go. A record that
still fits its cluster stays in it even if another cluster would fit as well.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, insert, select, update

from core.clock import now
from core.db import chunks
from transform.cluster_keys import ClusterKeys
from transform.cluster_rules import ISBN_MAX_TITLES, Decision, compare
from transform.tables import cluster_keys, cluster_overrides, clusters, transform_records

MAX_LISTED = 12          # rejected candidates kept in one record's explanation
CHUNK = 400

RecordKey = tuple[str, str]          # (source, identifier)


def record_label(key: RecordKey) -> str:
    return f"{key[0]}:{key[1]}"


@dataclass
class Member:
    """A record to (re)assign: its keys and the cluster it is in now, if any."""
    source: str
    identifier: str
    record_id: str
    keys: ClusterKeys
    cluster_id: str | None = None

    @property
    def key(self) -> RecordKey:
        return (self.source, self.identifier)


@dataclass
class _Candidate:
    key: RecordKey
    keys: ClusterKeys
    cluster_id: str | None


@dataclass
class ClusterChanges:
    """What an assignment changed: records whose work id changed, clusters to redraw or drop."""
    assigned: dict[RecordKey, str] = field(default_factory=dict)
    moved: set[RecordKey] = field(default_factory=set)
    dirty: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    shrunk: set[str] = field(default_factory=set)      # clusters a record left: to check for bridges

    def merge(self, other: "ClusterChanges") -> None:
        self.assigned.update(other.assigned)
        self.moved |= other.moved
        self.dirty |= other.dirty
        self.removed |= other.removed
        self.shrunk |= other.shrunk
        self.dirty -= self.removed
        self.shrunk -= self.removed


def _where_records(table, keys: list[RecordKey]):
    """(source = ? AND identifier IN (...)) per source; callers pass chunks."""
    from sqlalchemy import and_, or_
    by_source = defaultdict(list)
    for source, identifier in keys:
        by_source[source].append(identifier)
    return or_(*(and_(table.c.source == s, table.c.identifier.in_(ids)) for s, ids in by_source.items()))


class Clusterer:
    def __init__(self, conn, ignored: frozenset[str] = frozenset()):
        self.conn = conn
        self.ignored = ignored
        self.splits: set[RecordKey] = {
            (r.source, r.identifier) for r in conn.execute(
                select(cluster_overrides.c.source, cluster_overrides.c.identifier)
                .where(cluster_overrides.c.kind == "split"))}
        self.joined: set[RecordKey] = set()
        for r in conn.execute(select(cluster_overrides).where(cluster_overrides.c.kind == "join")):
            self.joined |= {(r.source, r.identifier), (r.other_source, r.other_identifier)}

    # -- loading what the batch needs ----------------------------------------------------------

    def _load(self, members: list[Member]):
        wanted = set()
        for m in members:
            for key in m.keys.index_keys():
                if not key.startswith("tr:"):
                    wanted.add(key)
            if m.keys.short_key:
                wanted.add("tr:" + m.keys.short_key)             # translations of this record
            if m.keys.original_key:
                wanted.add(m.keys.original_key)                  # the original of this translation
        index: dict[str, list[_Candidate]] = defaultdict(list)
        titles_by_isbn: dict[str, set[str]] = defaultdict(set)
        clusters_seen = {m.cluster_id for m in members if m.cluster_id}
        for chunk in chunks(sorted(wanted), CHUNK):
            rows = self.conn.execute(
                select(cluster_keys.c.key, cluster_keys.c.source, cluster_keys.c.identifier,
                       cluster_keys.c.title_key, transform_records.c["keys"], transform_records.c.cluster_id)
                .join(transform_records, (transform_records.c.source == cluster_keys.c.source)
                      & (transform_records.c.identifier == cluster_keys.c.identifier))
                .where(cluster_keys.c.key.in_(chunk)))
            for row in rows:
                index[row.key].append(_Candidate((row.source, row.identifier), ClusterKeys.from_json(row._mapping["keys"]),
                                                 row.cluster_id))
                if row.key.startswith("isbn:"):
                    titles_by_isbn[row.key].add(row.title_key)
                if row.cluster_id:
                    clusters_seen.add(row.cluster_id)
        members_of: dict[str, set[RecordKey]] = defaultdict(set)
        for chunk in chunks(sorted(clusters_seen), CHUNK):
            for row in self.conn.execute(select(transform_records.c.cluster_id, transform_records.c.source,
                                                transform_records.c.identifier)
                                         .where(transform_records.c.cluster_id.in_(chunk))):
                members_of[row.cluster_id].add((row.source, row.identifier))
        return index, titles_by_isbn, members_of

    def _taken_ids(self, wanted: set[str]) -> set[str]:
        taken = set()
        for chunk in chunks(sorted(wanted), CHUNK):
            taken |= {r[0] for r in self.conn.execute(select(clusters.c.cluster_id)
                                                      .where(clusters.c.cluster_id.in_(chunk)))}
        return taken

    def _mint(self, base: str, taken: set[str], checked: frozenset[str] | set[str] = frozenset()) -> str:
        """A cluster id not in `taken` nor in the table. `checked`: ids whose presence in the table `taken`
        already tells (`assign` reads its batch's own ids at once), so they cost no query each."""
        candidate, n = base, 1
        while candidate in taken or (candidate not in checked and self.conn.execute(
                select(clusters.c.cluster_id).where(clusters.c.cluster_id == candidate)).first()):
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        return candidate

    # -- assignment ----------------------------------------------------------------------------

    def assign(self, members: list[Member]) -> ClusterChanges:
        """Key and place a batch of new or changed records; writes keys, clusters and explanations."""
        changes = ClusterChanges()
        if not members:
            return changes
        batch = [m.key for m in members]
        for chunk in chunks(batch, CHUNK):
            self.conn.execute(delete(cluster_keys).where(_where_records(cluster_keys, chunk)))
        index, titles_by_isbn, members_of = self._load(members)
        batch_set = set(batch)
        for cid in list(members_of):
            members_of[cid] -= batch_set
        own_ids = {f"{m.source}-{m.record_id}" for m in members}
        taken = self._taken_ids(own_ids)
        taken |= {cid for cid, recs in members_of.items() if recs}
        rows, key_rows = [], []
        for m in members:
            for key in m.keys.index_keys():
                if key.startswith("isbn:"):
                    titles_by_isbn[key].add(m.keys.title_key)
            overused = {k[5:] for k, titles in titles_by_isbn.items() if len(titles) >= ISBN_MAX_TITLES}
            cluster_id, explanation = self._place(m, index, members_of, overused, taken, own_ids)
            members_of[cluster_id].add(m.key)
            if m.cluster_id:          # re-placed (moved, or its keys may have changed): it may have been a bridge
                changes.shrunk.add(m.cluster_id)
            if m.cluster_id and m.cluster_id != cluster_id:
                changes.dirty.add(m.cluster_id)
            changes.assigned[m.key] = cluster_id
            if m.cluster_id != cluster_id:
                changes.moved.add(m.key)
            changes.dirty.add(cluster_id)
            for key in m.keys.index_keys():
                index[key].append(_Candidate(m.key, m.keys, cluster_id))
                key_rows.append({"key": key, "source": m.source, "identifier": m.identifier,
                                 "title_key": m.keys.title_key[:500]})
            rows.append({"b_source": m.source, "b_identifier": m.identifier, "cluster_id": cluster_id,
                         "keys": m.keys.to_json(), "explanation": json.dumps(explanation, ensure_ascii=False)})
        if key_rows:
            self.conn.execute(insert(cluster_keys), key_rows)
        self.conn.execute(update(transform_records)
                          .where(transform_records.c.source == bindparam("b_source"),
                                 transform_records.c.identifier == bindparam("b_identifier"))
                          .values(cluster_id=bindparam("cluster_id"), keys=bindparam("keys"),
                                  explanation=bindparam("explanation")), rows)
        self._ensure_clusters({r["cluster_id"] for r in rows})
        changes.removed |= self._drop_empty(changes.dirty)
        changes.dirty -= changes.removed
        changes.shrunk -= changes.removed
        changes.dirty |= self._link_translations(members, index, changes.assigned)
        return changes

    def _place(self, m: Member, index, members_of, overused, taken, checked=frozenset()) -> tuple[str, dict]:
        others = members_of.get(m.cluster_id, set()) - {m.key} if m.cluster_id else set()
        explanation = {"keys": m.keys.index_keys(), "previous": m.cluster_id}
        if m.key in self.splits:
            cid = m.cluster_id if m.cluster_id and not others else self._mint(f"{m.source}-{m.record_id}", taken, checked)
            return cid, {**explanation, "rule": "manual-split", "detail": "a librarian split this record "
                         "into a work of its own (cluster split)", "with": None}
        if m.key in self.joined and m.cluster_id:
            return m.cluster_id, {**explanation, "rule": "manual-join", "with": None,
                                  "detail": "a librarian joined this record to its work (cluster join)"}
        seen, accepted, rejected = set(), defaultdict(list), []
        lookups = [k for k in m.keys.index_keys() if not k.startswith(("tr:", "ts:"))]   # ts: links only
        # the original of a translation, and translations of this record: listed as kept apart
        lookups += [k for k in (m.keys.original_key, m.keys.title_author_key and "tr:" + m.keys.title_author_key)
                    if k]
        for key in lookups:
            for cand in index.get(key, ()):
                if cand.key in seen or cand.key[0] == m.source or cand.key == m.key:
                    continue
                seen.add(cand.key)
                if cand.key in self.splits:
                    rejected.append(_listed(cand.key, Decision(False, "manual-split",
                                                               "that record was split off by a librarian")))
                    continue
                decision = compare(m.keys, cand.keys, ignored=self.ignored, overused=overused)
                if not decision.accept or not cand.cluster_id:
                    rejected.append(_listed(cand.key, decision))
                    continue
                accepted[cand.cluster_id].append((cand.key, decision))
        choices = []
        for cid, hits in accepted.items():
            clash = [k for k in members_of.get(cid, ()) if k[0] == m.source and k != m.key]
            if clash:
                for key, _ in hits:
                    rejected.append(_listed(key, Decision(False, "same-source", f"its work already holds "
                                                          f"{record_label(clash[0])} from this source")))
                continue
            strength = min(0 if d.rule in ("isbn", "identifier") else 1 for _, d in hits)
            choices.append((cid != m.cluster_id, strength, -len(hits), cid))
        explanation["rejected"] = rejected[:MAX_LISTED]
        if choices:
            cid = min(choices)[3]
            key, decision = sorted(accepted[cid], key=lambda h: h[1].rule not in ("isbn", "identifier"))[0]
            return cid, {**explanation, "rule": decision.rule, "detail": decision.detail,
                         "with": record_label(key), "key": decision.key,
                         "also": [record_label(k) for k, _ in accepted[cid][1:MAX_LISTED]]}
        if m.cluster_id and not others:
            return m.cluster_id, {**explanation, "rule": "alone", "with": None,
                                  "detail": "no record from another library matched; keeps its own work"}
        cid = self._mint(f"{m.source}-{m.record_id}", taken, checked)
        detail = "no record from another library matched; a new work"
        if others:
            detail = "no longer matches the records of its former work; a new work"
        return cid, {**explanation, "rule": "new", "with": None, "detail": detail}

    def _ensure_clusters(self, ids: set[str]) -> None:
        existing = set()
        for chunk in chunks(sorted(ids), CHUNK):
            existing |= {r[0] for r in self.conn.execute(select(clusters.c.cluster_id)
                                                         .where(clusters.c.cluster_id.in_(chunk)))}
        stamp = now()
        new = [{"cluster_id": c, "translation_of": None, "created_at": stamp, "updated_at": stamp}
               for c in sorted(ids - existing)]
        if new:
            self.conn.execute(insert(clusters), new)

    def _drop_empty(self, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        alive = set()
        for chunk in chunks(sorted(ids), CHUNK):
            alive |= {r[0] for r in self.conn.execute(
                select(transform_records.c.cluster_id).where(transform_records.c.cluster_id.in_(chunk))
                .group_by(transform_records.c.cluster_id))}
        empty = ids - alive
        for chunk in chunks(sorted(empty), CHUNK):
            self.conn.execute(delete(clusters).where(clusters.c.cluster_id.in_(chunk)))
            self.conn.execute(update(clusters).where(clusters.c.translation_of.in_(chunk))
                              .values(translation_of=None, updated_at=now()))
        return empty

    def _link_translations(self, members: list[Member], index, assigned) -> set[str]:
        """Point a translation's work at its original's work (and the reverse, when the original comes
        later). Links never merge; they only set `clusters.translation_of`."""
        links: dict[str, str] = {}
        for m in members:
            k = m.keys
            if k.original_key:
                for cand in index.get(k.original_key, ()):
                    if cand.key != m.key and cand.cluster_id and not cand.keys.translation and (
                            not k.original_language or cand.keys.language == k.original_language):
                        links[assigned[m.key]] = cand.cluster_id
                        break
            if k.short_key and not k.translation:
                for cand in index.get("tr:" + k.short_key, ()):
                    if cand.key != m.key and cand.cluster_id and (
                            not cand.keys.original_language or cand.keys.original_language == k.language):
                        links.setdefault(cand.cluster_id, assigned[m.key])
        dirty = set()
        for cid, original in links.items():
            if cid == original:
                continue
            current = self.conn.execute(select(clusters.c.translation_of)
                                        .where(clusters.c.cluster_id == cid)).scalar()
            if current != original:
                self.conn.execute(update(clusters).where(clusters.c.cluster_id == cid)
                                  .values(translation_of=original, updated_at=now()))
                dirty.add(cid)
        return dirty

    # -- removal and overrides -----------------------------------------------------------------

    def remove(self, records: list[RecordKey], reason: str) -> ClusterChanges:
        """Take deleted or unreadable records out of their works (their keys go too)."""
        changes = ClusterChanges()
        for chunk in chunks(records, CHUNK):
            olds = self.conn.execute(select(transform_records.c.cluster_id)
                                     .where(_where_records(transform_records, chunk))).scalars()
            changes.dirty |= {c for c in olds if c}
            self.conn.execute(delete(cluster_keys).where(_where_records(cluster_keys, chunk)))
            self.conn.execute(update(transform_records).where(_where_records(transform_records, chunk))
                              .values(cluster_id=None, explanation=json.dumps(
                                  {"rule": "removed", "detail": reason, "with": None})))
        changes.removed = self._drop_empty(changes.dirty)
        changes.dirty -= changes.removed
        changes.shrunk = set(changes.dirty)
        return changes

    def split_bridges(self, cluster_ids: set[str]) -> ClusterChanges:
        """Re-check works that lost or changed a record: it may have been the only bridge between the
        others (A and C each matched B, not each other). Each part that no longer holds together
        becomes a work of its own; the part holding the record the work is named after keeps the id.
        Manual joins count as links; split-off records are alone already."""
        changes = ClusterChanges()
        joins = {frozenset(((r.source, r.identifier), (r.other_source, r.other_identifier))) for r in self.conn.execute(
            select(cluster_overrides).where(cluster_overrides.c.kind == "join"))}
        for chunk in chunks(sorted(cluster_ids), CHUNK):
            by_cluster: dict[str, list[Member]] = defaultdict(list)
            for r in self.conn.execute(
                    select(transform_records.c.cluster_id, transform_records.c.source, transform_records.c.identifier,
                           transform_records.c.record_id, transform_records.c["keys"])
                    .where(transform_records.c.cluster_id.in_(chunk))
                    .order_by(transform_records.c.source, transform_records.c.identifier)):
                by_cluster[r.cluster_id].append(Member(r.source, r.identifier, r.record_id,
                                                       ClusterKeys.from_json(r._mapping["keys"]), r.cluster_id))
            several = {cid: members for cid, members in by_cluster.items() if len(members) > 1}
            if not several:
                continue
            _index, titles_by_isbn, _members_of = self._load([m for ms in several.values() for m in ms])
            overused = {k[5:] for k, titles in titles_by_isbn.items() if len(titles) >= ISBN_MAX_TITLES}
            for cluster_id, members in sorted(several.items()):
                parts = self._parts(members, joins, overused)
                if len(parts) > 1:
                    self._part(cluster_id, parts, changes)
        changes.removed |= self._drop_empty(set(changes.dirty))
        changes.dirty -= changes.removed
        return changes

    def _part(self, cluster_id: str, parts: list[list[Member]], changes: ClusterChanges) -> None:
        named = next((part for part in parts if any(f"{m.source}-{m.record_id}" == cluster_id for m in part)), None)
        keep = named or max(parts, key=len)
        taken = {cluster_id}
        # a part of a translation's work is still a translation of the same original
        original = self.conn.execute(select(clusters.c.translation_of)
                                     .where(clusters.c.cluster_id == cluster_id)).scalar()
        kept = ", ".join(record_label(m.key) for m in keep[:3])
        for part in parts:
            if part is keep:
                continue
            new_id = self._mint(f"{part[0].source}-{part[0].record_id}", taken)
            taken.add(new_id)
            self._ensure_clusters({new_id})
            if original:
                self.conn.execute(update(clusters).where(clusters.c.cluster_id == new_id)
                                  .values(translation_of=original, updated_at=now()))
            self._move([m.key for m in part], new_id, cluster_id, "bridge-left",
                       f"the record that linked it to {kept} left that work or changed; they do not "
                       "match each other, so this is a work of its own", changes)

    def _parts(self, members: list[Member], joins: set, overused: set[str]) -> list[list[Member]]:
        """Connected parts of a work's records under the merge rules (and manual joins)."""
        parent = list(range(len(members)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, a in enumerate(members):
            for j in range(i + 1, len(members)):
                b = members[j]
                if root(i) == root(j):
                    continue
                if frozenset((a.key, b.key)) in joins or compare(a.keys, b.keys, ignored=self.ignored,
                                                                  overused=overused).accept:
                    parent[root(j)] = root(i)
        parts: dict[int, list[Member]] = defaultdict(list)
        for i, m in enumerate(members):
            parts[root(i)].append(m)
        return list(parts.values())

    def apply_overrides(self) -> ClusterChanges:
        """Re-apply every manual join and split; a no-op when they already hold."""
        changes = ClusterChanges()
        rows = self.conn.execute(select(cluster_overrides).order_by(cluster_overrides.c.id)).all()
        cluster_of = lambda key: self.conn.execute(  # noqa: E731
            select(transform_records.c.cluster_id, transform_records.c.record_id)
            .where(transform_records.c.source == key[0], transform_records.c.identifier == key[1])).first()
        for row in rows:
            me = (row.source, row.identifier)
            mine = cluster_of(me)
            if not mine or not mine.cluster_id:
                continue
            if row.kind == "join":
                target = cluster_of((row.other_source, row.other_identifier))
                if not target or not target.cluster_id or target.cluster_id == mine.cluster_id:
                    continue
                movers = [k for k in self._members(mine.cluster_id) if k not in self.splits]
                detail = f"override #{row.id}: a librarian joined {record_label(me)} with " \
                         f"{row.other_source}:{row.other_identifier}" + (f" ({row.note})" if row.note else "")
                self._move(movers, target.cluster_id, mine.cluster_id, "manual-join", detail, changes)
            elif row.kind == "split":
                others = [k for k in self._members(mine.cluster_id) if k != me]
                if others:
                    taken = set()
                    new_id = self._mint(f"{me[0]}-{mine.record_id}", taken)
                    self._ensure_clusters({new_id})
                    self._move([me], new_id, mine.cluster_id, "manual-split",
                               f"override #{row.id}: a librarian split this record into a work of its own", changes)
        changes.removed |= self._drop_empty(set(changes.dirty))
        changes.dirty -= changes.removed
        return changes

    def _members(self, cluster_id: str) -> list[RecordKey]:
        return [(r.source, r.identifier) for r in self.conn.execute(
            select(transform_records.c.source, transform_records.c.identifier)
            .where(transform_records.c.cluster_id == cluster_id).order_by(transform_records.c.source,
                                                                          transform_records.c.identifier))]

    def _move(self, keys: list[RecordKey], to: str, previous: str, rule: str, detail: str,
              changes: ClusterChanges) -> None:
        for key in keys:
            old = self.conn.execute(select(transform_records.c.explanation).where(
                transform_records.c.source == key[0], transform_records.c.identifier == key[1])).scalar()
            explanation = json.loads(old) if old else {}
            explanation.update({"rule": rule, "detail": detail, "previous": previous, "with": None})
            self.conn.execute(update(transform_records).where(
                transform_records.c.source == key[0], transform_records.c.identifier == key[1])
                .values(cluster_id=to, explanation=json.dumps(explanation, ensure_ascii=False)))
            changes.moved.add(key)
            changes.assigned[key] = to
        changes.dirty |= {to, previous}


def _listed(key: RecordKey, decision: Decision) -> dict:
    return {"with": record_label(key), "rule": decision.rule, "detail": decision.detail}


def cluster_count(conn, source: str | None = None) -> int:
    query = select(func.count(func.distinct(transform_records.c.cluster_id))).where(
        transform_records.c.cluster_id.is_not(None))
    if source:
        query = query.where(transform_records.c.source == source)
    return int(conn.execute(query).scalar() or 0)
