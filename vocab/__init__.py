"""Vocab: languages, relators, genres and libraries, as data with labels in nb, nn, se and en."""
