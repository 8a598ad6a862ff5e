"""Why records are (or are not) one work: explanations and the librarians' manual overrides.

`explain` reads what the assignment stored (keys, the deciding rule, rejected candidates) and the
overrides touching a cluster, so its answer is exactly what the last run decided, not a re-computation.
Overrides (`cluster join` / `cluster split`) are rows applied on every transform run, so they survive
re-harvests; a newer override for a record replaces its older ones.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, or_, select

from core.clock import now
from core.errors import GrenselosError
from transform.tables import cluster_overrides, clusters, transform_records


class UnknownRecord(GrenselosError):
    pass


def _record(conn, ident: str):
    if ":" not in ident:
        return None
    source, identifier = ident.split(":", 1)
    return conn.execute(select(transform_records).where(transform_records.c.source == source,
                                                        transform_records.c.identifier == identifier)).first()


def resolve(conn, ident: str) -> tuple[str | None, list[tuple[str, str]]]:
    """A cluster id or a record id (`source:identifier`) → (cluster id, member records)."""
    if conn.execute(select(clusters.c.cluster_id).where(clusters.c.cluster_id == ident)).first():
        cluster_id = ident
    else:
        row = _record(conn, ident)
        if row is None:
            raise UnknownRecord(f"{ident!r} is neither a work cluster id nor a transformed record "
                                "(record ids are source:identifier)")
        cluster_id = row.cluster_id
        if cluster_id is None:
            return None, [(row.source, row.identifier)]
    members = [(r.source, r.identifier) for r in conn.execute(
        select(transform_records.c.source, transform_records.c.identifier)
        .where(transform_records.c.cluster_id == cluster_id)
        .order_by(transform_records.c.source, transform_records.c.identifier))]
    return cluster_id, members


def add_join(conn, record: str, other: str, note: str = "") -> int:
    """Record that `record` belongs to the same work as `other` (a record or a cluster id)."""
    me = _record(conn, record)
    if me is None:
        raise UnknownRecord(f"{record!r} is not a transformed record (use source:identifier)")
    target = _record(conn, other)
    if target is None:
        _, members = resolve(conn, other)
        target = _record(conn, f"{members[0][0]}:{members[0][1]}") if members else None
    if target is None:
        raise UnknownRecord(f"{other!r} names no record or work")
    _forget(conn, [(me.source, me.identifier), (target.source, target.identifier)])
    return conn.execute(insert(cluster_overrides).values(
        kind="join", source=me.source, identifier=me.identifier, other_source=target.source,
        other_identifier=target.identifier, note=note or None, created_at=now())).inserted_primary_key[0]


def add_split(conn, record: str, note: str = "") -> int:
    """Record that `record` is a work of its own, whatever its keys say."""
    me = _record(conn, record)
    if me is None:
        raise UnknownRecord(f"{record!r} is not a transformed record (use source:identifier)")
    _forget(conn, [(me.source, me.identifier)])
    return conn.execute(insert(cluster_overrides).values(
        kind="split", source=me.source, identifier=me.identifier, note=note or None,
        created_at=now())).inserted_primary_key[0]


def _forget(conn, keys) -> None:
    """A newer override for a record replaces the older ones that name it."""
    for source, identifier in keys:
        conn.execute(delete(cluster_overrides).where(or_(
            (cluster_overrides.c.source == source) & (cluster_overrides.c.identifier == identifier),
            (cluster_overrides.c.other_source == source) & (cluster_overrides.c.other_identifier == identifier))))


def list_overrides(conn) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(select(cluster_overrides).order_by(cluster_overrides.c.id))]


def explain(conn, ident: str, base_uri: str = "") -> dict:
    """Everything behind one work: its records, their keys, the deciding rules, overrides, links."""
    cluster_id, members = resolve(conn, ident)
    out = {"cluster": cluster_id, "work": f"{base_uri}/work/{cluster_id}" if cluster_id else None,
           "translation_of": None, "translations": [], "records": [], "overrides": []}
    if cluster_id:
        row = conn.execute(select(clusters).where(clusters.c.cluster_id == cluster_id)).first()
        out["translation_of"] = row.translation_of if row else None
        out["translations"] = [r[0] for r in conn.execute(
            select(clusters.c.cluster_id).where(clusters.c.translation_of == cluster_id)
            .order_by(clusters.c.cluster_id))]
    for source, identifier in members:
        row = conn.execute(select(transform_records).where(transform_records.c.source == source,
                                                           transform_records.c.identifier == identifier)).first()
        out["records"].append({
            "record": f"{source}:{identifier}", "record_id": row.record_id, "status": row.status,
            "error": row.error, "keys": json.loads(row._mapping["keys"]) if row._mapping["keys"] else None,
            "decision": json.loads(row.explanation) if row.explanation else None})
        for o in conn.execute(select(cluster_overrides).where(or_(
                (cluster_overrides.c.source == source) & (cluster_overrides.c.identifier == identifier),
                (cluster_overrides.c.other_source == source)
                & (cluster_overrides.c.other_identifier == identifier)))):
            entry = {"id": o.id, "kind": o.kind, "record": f"{o.source}:{o.identifier}",
                     "other": f"{o.other_source}:{o.other_identifier}" if o.other_source else None,
                     "note": o.note, "created_at": o.created_at.isoformat() if o.created_at else None}
            if entry not in out["overrides"]:
                out["overrides"].append(entry)
    return out


def explain_text(data: dict) -> str:
    """The explanation as a librarian reads it."""
    lines = [f"work {data['cluster'] or '(none)'}" + (f"  <{data['work']}>" if data["work"] else "")]
    if data["translation_of"]:
        lines.append(f"  translation of work {data['translation_of']}")
    for t in data["translations"]:
        lines.append(f"  translated as work {t}")
    lines.append(f"  {len(data['records'])} record(s):")
    for rec in data["records"]:
        d = rec["decision"] or {}
        k = rec["keys"] or {}
        lines.append(f"  - {rec['record']}  [{rec['status']}]")
        lines.append(f"      rule: {d.get('rule', '?')}" + (f" with {d['with']}" if d.get("with") else "")
                     + f" — {d.get('detail', '')}")
        facts = [f"{name}={k[name]}" for name in ("title_key", "surname", "year", "pages", "language",
                                                 "original_language") if k.get(name)]
        if k.get("isbns"):
            facts.append("isbn=" + ",".join(k["isbns"]))
        if k.get("series"):
            facts.append("series=" + " | ".join(k["series"]))
        if facts:
            lines.append("      keys: " + "; ".join(facts))
        for rej in d.get("rejected", []):
            lines.append(f"      not joined with {rej['with']}: {rej['rule']} — {rej['detail']}")
        if rec["error"]:
            lines.append(f"      error: {rec['error']}")
    for o in data["overrides"]:
        target = f" with {o['other']}" if o["other"] else ""
        lines.append(f"  override #{o['id']}: {o['kind']} {o['record']}{target}"
                     + (f" ({o['note']})" if o["note"] else ""))
    return "\n".join(lines)
