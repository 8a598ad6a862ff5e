"""Transform: MARC21 to BIBFRAME 2 RDF, language evidence and work clustering across libraries."""
