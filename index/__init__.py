"""The search stage: documents at instance level carrying their work cluster, a backend-neutral query
model, and two backends that pass the same contract suite — tantivy embedded in data_dir (default) and
Solr 9 (standalone or SolrCloud) selected by `[search] solr_url`.

Other stages call:
- `index.backends.open_backend(settings) -> SearchBackend` and `.search(index.query.Query) -> Result`,
  `.get(record_id) -> Document | None`, `.suggest(text) -> list[str]`;
- `index.pipeline.index_changes(settings, store, full=False)` (the `grenselos index` verb);
- `index.projection.default().document(triples, id=..., work_id=..., source=..., holdings=..., languages=...)`:
  a record's search document projected from its BIBFRAME description (`index/projection.map`);
- `index.holdings.holdings_of(record, source, holdings_records=(), directory=None)`: holdings per library;
- `index.from_store.document_id(source, record_id) -> "{source}-{record_id}"` (a document's and a hit's id).
- `index.from_store.build_document(...)` / `RecordDocuments(settings, store)`: the one way from the SQL truth
  to a document (the index run, and record pages while the index is down); `index.errors.SearchUnavailable`:
  the outage every backend raises alike.
"""
