"""Word forms for search: "детали" finds "деталь", "robots" finds "robot", "piezas" finds "pieza".

Russian words are reduced to their dictionary forms with pymorphy3 (every normal form of the word's
parses, so an ambiguous form such as "стали" is found under both "сталь" and "стать"); Latin-script words
to their Snowball stems in Spanish and English (both, since an article and its reader may not share a
language; Spanish keeps the -s of "robots" that English removes). A text becomes the space-separated
list of those forms, which both databases index word by word (SQLite FTS5, PostgreSQL's 'simple'
tsvector), so the two give the same answers; a query becomes groups of alternative forms, one per word.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]")
MAX_PARSES = 3


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=1)
def _stemmers():
    import snowballstemmer

    return snowballstemmer.stemmer("spanish"), snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """The words of a text, lower-case, ё read as е (Russian texts write both)."""
    return [w.replace("ё", "е") for w in _WORD.findall((text or "").lower())]


@lru_cache(maxsize=200_000)
def forms(word: str) -> tuple[str, ...]:
    """The normalised forms a word is indexed and searched under (one or a few)."""
    if word.isdigit() or len(word) < 2:
        return (word,)
    if _CYRILLIC.search(word):
        out: list[str] = []
        for parse in _morph().parse(word)[:MAX_PARSES]:
            form = parse.normal_form.replace("ё", "е")
            if form not in out:
                out.append(form)
        return tuple(out) or (word,)
    es, en = _stemmers()
    found = [es.stemWord(word), en.stemWord(word)]
    return tuple(dict.fromkeys(found))


def normalise(text: str) -> str:
    """The text as the index stores it: every word replaced by its forms."""
    return " ".join(f for w in words(text) for f in forms(w))


def query_groups(text: str) -> list[tuple[str, ...]]:
    """One group of alternative forms per distinct word of a query (any form of the word matches)."""
    seen: set[str] = set()
    groups = []
    for w in words(text):
        if w not in seen:
            seen.add(w)
            groups.append(forms(w))
    return groups
