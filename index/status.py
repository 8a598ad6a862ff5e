"""The search stage's line in `grenselos status`: documents indexed per source and the last run."""

from __future__ import annotations

from sqlalchemy import func, inspect as sa_inspect, select

from index.tables import index_runs, index_state


def add_status(settings, counts: dict) -> None:
    from harvest.store import RecordStore
    from index.pipeline import target_name
    store = RecordStore(settings.database_url, migrate=False)
    try:
        if not sa_inspect(store.engine).has_table("index_state"):
            return
        target = target_name(settings)
        with store.engine.connect() as conn:
            per_source = dict(conn.execute(select(index_state.c.source, func.count()).where(
                index_state.c.target == target).group_by(index_state.c.source)).all())
            last = conn.execute(select(index_runs.c.finished_at, index_runs.c.status).where(
                index_runs.c.target == target).order_by(index_runs.c.id.desc()).limit(1)).first()
        for source_id, entry in counts.items():
            entry["indexed"] = per_source.get(source_id, 0)
            entry["last_index"] = last.finished_at.isoformat() if last and last.finished_at else None
            entry["index_status"] = last.status if last else None
    finally:
        store.close()
