"""Failing over between Solr nodes, decided from what pysolr reports, without a Solr: a node that does
not answer is skipped, a cluster that answers it cannot serve is an outage, other errors are the
caller's."""

from __future__ import annotations

import pysolr
import pytest

from index.errors import SearchUnavailable
from index.solr_nodes import SolrNodes, cluster_outage, node_unreachable

REFUSED = pysolr.SolrError("Failed to connect to server at http://a/solr/g/select/: Connection refused")
CONNECT_TIMEOUT = pysolr.SolrError("Connection to server 'http://a/solr/g/select/' timed out: "
                                   "ConnectTimeoutError(...)")
READ_TIMEOUT = pysolr.SolrError("Connection to server 'http://a/solr/g/select/' timed out: Read timed out.")
NO_SHARD = pysolr.SolrError("Solr responded with an error (HTTP 503): [Reason: no active servers hosting shard: s2]")
FORWARD_REFUSED = pysolr.SolrError("Solr responded with an error (HTTP 500): [Reason: Async exception during "
                                   "distributed update: java.net.ConnectException: Connection refused]")
BAD_FIELD = pysolr.SolrError("Solr responded with an error (HTTP 400): [Reason: undefined field nope]")


@pytest.mark.parametrize("exc,unreachable,outage", [
    (REFUSED, True, False), (CONNECT_TIMEOUT, True, False), (READ_TIMEOUT, False, True),
    (NO_SHARD, False, True), (FORWARD_REFUSED, False, True), (BAD_FIELD, False, False)])
def test_errors_are_classified(exc, unreachable, outage):
    assert node_unreachable(exc) is unreachable
    assert cluster_outage(exc) is outage


def _nodes_answering(answers: dict[str, object]):
    nodes = SolrNodes(list(answers))
    asked = []

    def request(client):
        asked.append(client.url)
        answer = answers[client.url]
        if isinstance(answer, Exception):
            raise answer
        return answer
    return nodes, asked, request


def test_moves_on_from_a_node_that_does_not_answer_and_stays_with_the_one_that_did():
    nodes, asked, request = _nodes_answering({"http://a/solr/g": REFUSED, "http://b/solr/g": "hits"})
    assert nodes.call("search", request) == "hits" and asked == ["http://a/solr/g", "http://b/solr/g"]
    assert nodes.url == "http://b/solr/g"
    asked.clear()
    assert nodes.call("search", request) == "hits" and asked == ["http://b/solr/g"]


def test_no_node_answering_or_a_cluster_that_cannot_serve_is_an_outage():
    nodes, asked, request = _nodes_answering({"http://a/solr/g": REFUSED, "http://b/solr/g": REFUSED})
    with pytest.raises(SearchUnavailable, match="no Solr node answers"):
        nodes.call("search", request)
    nodes, asked, request = _nodes_answering({"http://a/solr/g": NO_SHARD, "http://b/solr/g": "hits"})
    with pytest.raises(SearchUnavailable, match="cannot serve"):
        nodes.call("search", request)
    assert asked == ["http://a/solr/g"]                       # another node would say the same


def test_other_errors_are_the_callers():
    nodes, _asked, request = _nodes_answering({"http://a/solr/g": BAD_FIELD, "http://b/solr/g": "hits"})
    with pytest.raises(pysolr.SolrError, match="undefined field"):
        nodes.call("search", request)
