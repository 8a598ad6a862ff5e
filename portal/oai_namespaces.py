"""XML namespaces of the OAI-PMH provider and the metadata formats it serves (one home, read by
`portal.oai_provider` and `portal.oai_metadata`)."""

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SLIM = "http://www.loc.gov/MARC21/slim"
MARCX = "info:lc/xmlns/marcxchange-v1"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OAI_ID = "http://www.openarchives.org/OAI/2.0/oai-identifier"
