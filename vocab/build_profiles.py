"""Build the langdetect profiles in `vocab/profiles/` reproducibly.

langdetect profiles are n-gram counts (1-3 characters) that never cross a word boundary, so a word
frequency list is enough to build one. The word lists are the ones the `gielladetect` package (National
Library of Norway / Giellatekno, GPL-3.0) ships for Sami, Kven, Meänkieli, Finnish and Norwegian; for
Northern and Skolt Sami the Universal Dependencies *train* sentences are added (test sentences are never
read here: they measure accuracy in bench/langid.py). langdetect's own profiles (Apache-2.0) for the other
languages plausible in Troms og Finnmark are copied unchanged, so one directory holds every profile and
`transform.langid` loads it once.

    python -m vocab.build_profiles [--ud-dir ../shared/data/ud-sentences] [--out vocab/profiles]

Same inputs give byte-identical output (sorted keys, no timestamps).
"""

from __future__ import annotations

import argparse
import json
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "profiles"
BUILT = ("sme", "smj", "sma", "smn", "sms", "fkv", "fit", "fin", "nob", "nno")
"""Languages whose profile is built here (file and profile name = canonical code)."""
UD_TRAIN = {"sme": "sme-train.txt", "sms": "sms-train.txt"}
COPIED = ("en", "de", "fr", "es", "it", "pt", "nl", "da", "sv", "pl", "ru", "uk", "lt", "lv", "cs", "hr",
          "sq", "tr", "ar", "fa", "ur", "so", "th", "vi", "zh-cn", "ja", "ko", "ta")
"""langdetect profiles kept: languages plausible in a Norwegian county library. Left out on purpose:
`no` (replaced by nob/nno), `fi` (replaced by fin built like fkv, so Finnish and Kven compete on equal
terms), `et` and `hu` (Sami and Kven text came out Estonian/Hungarian)."""

MINIMUM_FREQ = 2
LESS_FREQ_RATIO = 100000
UD_SENTENCE_WEIGHT = 5
"""A word in a real sentence counts this many times: the word lists' counts come from large corpora."""


def gielladetect_dir() -> Path:
    import gielladetect
    return Path(gielladetect.__file__).resolve().parent / "lm"


def langdetect_dir() -> Path:
    import langdetect
    return Path(langdetect.__file__).resolve().parent / "profiles"


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def read_word_list(path: Path) -> Counter:
    """A gielladetect `.wm` file: `count<TAB>word` or `count word` per line."""
    counts: Counter = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        counts[normalise(parts[1])] += int(parts[0])
    return counts


def read_sentences(path: Path) -> Counter:
    counts: Counter = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        for word in normalise(line).split():
            counts[word] += UD_SENTENCE_WEIGHT
    return counts


def ngrams_of(word: str) -> list[str]:
    """The n-grams langdetect extracts from one word, using its own NGram class so they match exactly."""
    from langdetect.utils.ngram import NGram
    ngram = NGram()
    grams = []
    for ch in " " + word + " ":
        ngram.add_char(ch)
        for n in range(1, NGram.N_GRAM + 1):
            g = ngram.get(n)
            if g:
                grams.append(g)
    return grams


def profile(name: str, words: Counter) -> dict:
    freq: Counter = Counter()
    n_words = [0, 0, 0]
    for word, count in words.items():
        for g in ngrams_of(word):
            freq[g] += count
            n_words[len(g) - 1] += count
    # langdetect's LangProfile.omit_less_freq: drop rare grams, and Latin 1-grams in a non-Latin profile.
    threshold = max(n_words[0] // LESS_FREQ_RATIO, MINIMUM_FREQ)
    kept = {}
    for gram, count in freq.items():
        if count <= threshold:
            n_words[len(gram) - 1] -= count
            continue
        kept[gram] = count
    return {"freq": dict(sorted(kept.items())), "n_words": n_words, "name": name}


def build(out: Path = OUT, ud_dir: Path | None = None, lm_dir: Path | None = None) -> list[str]:
    lm_dir = lm_dir or gielladetect_dir()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for code in BUILT:
        words = read_word_list(lm_dir / f"{code}.wm")
        if ud_dir and code in UD_TRAIN and (ud_dir / UD_TRAIN[code]).exists():
            words.update(read_sentences(ud_dir / UD_TRAIN[code]))
        data = profile(code, words)
        (out / code).write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                                encoding="utf-8")
        written.append(code)
    for code in COPIED:
        shutil.copyfile(langdetect_dir() / code, out / code)
        written.append(code)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_ud = HERE.parent.parent / "shared" / "data" / "ud-sentences"
    parser.add_argument("--ud-dir", type=Path, default=default_ud)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.ud_dir.exists():
        parser.error(f"{args.ud_dir}: not found (the UD train sentences are part of the profiles)")
    written = build(args.out, args.ud_dir)
    print(f"wrote {len(written)} profiles to {args.out}: {' '.join(written)}")


if __name__ == "__main__":
    main()
