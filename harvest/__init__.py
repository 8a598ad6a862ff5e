"""Harvest: bring MARC records from every library into the record store, losing nothing.

OAI-PMH (sickle, wrapped for timeouts, retries and checkpoints) and file imports (ISO 2709, MARCXML)
both end in `harvest.store.RecordStore`.
"""
