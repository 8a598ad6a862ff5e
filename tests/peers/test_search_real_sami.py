"""Folding verified with real Northern Sami text (UD North Sami treebank sentences, CC BY-SA 4.0):
a word written with č đ ŋ š ŧ ž is found when typed without them, on every backend."""

from __future__ import annotations

import re
import unicodedata

import pytest

from index.document import Document
from index.query import Query
from tests.peers.search_backends import BACKENDS, open_test_backend

SAMI_LETTERS = "čđŋšŧž"
_PLAIN = str.maketrans({"č": "c", "đ": "d", "ŋ": "n", "š": "s", "ŧ": "t", "ž": "z", "á": "a"})


def real_sentences(shared_data, limit=40):
    """Sentences of 4–12 words, each holding a word with a Sami letter not yet covered."""
    lines = (shared_data / "ud-sentences" / "sme-test.txt").read_text(encoding="utf-8").splitlines()
    picked, letters = [], set()
    for line in lines:
        words = re.findall(r"\w+", unicodedata.normalize("NFC", line))
        sami = [w for w in words if set(w.lower()) & set(SAMI_LETTERS) and len(w) >= 5]
        if 4 <= len(words) <= 12 and sami:
            picked.append((line.strip(), sami[0]))
            letters |= set(sami[0].lower()) & set(SAMI_LETTERS)
        if len(picked) >= limit and letters >= set("čđŋšž"):
            break
    return picked


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request, tmp_path_factory, shared_data):
    sentences = real_sentences(shared_data)
    docs = [Document(id=f"ud-{n}", work_id=f"w-ud-{n}", source="ud", title=text, languages=("sme",))
            for n, (text, _word) in enumerate(sentences)]
    with open_test_backend(request.param, tmp_path_factory.mktemp("real-sami")) as backend:
        backend.add(docs)
        backend.commit()
        yield backend, sentences


def test_real_words_typed_without_sami_letters_are_found(corpus):
    backend, sentences = corpus
    covered = set()
    for n, (_text, word) in enumerate(sentences):
        plain = word.lower().translate(_PLAIN)
        assert plain != word.lower()
        hits = [h.id for h in backend.search(Query(text=plain, limit=50)).hits]
        assert f"ud-{n}" in hits, (word, plain)
        covered |= set(word.lower()) & set(SAMI_LETTERS)
    assert covered >= set("čđŋšž")


def test_exact_spelling_ranks_a_sentence_with_that_spelling_first(corpus):
    backend, sentences = corpus
    for n, (_text, word) in enumerate(sentences[:10]):
        hits = backend.search(Query(text=word, limit=50)).hits
        top = sentences[int(hits[0].id.removeprefix("ud-"))][0].lower()
        assert word.lower() in re.findall(r"\w+", unicodedata.normalize("NFC", top)), (word, top)
