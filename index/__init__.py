"""Index: search documents and the backends that hold them (tantivy embedded, Solr at scale)."""
