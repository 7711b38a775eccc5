"""Chinese text made comparable: normalised, stripped of the spec's own words, cut into shingles.

Two applicants who copy a passage rarely copy its punctuation and spacing exactly, and every
applicant answers under the same headings and often repeats the outline's 内容要点. So before
comparing, a text is

- NFKC-normalised (full-width Ａ１ and half-width A1 become one, as do the compatibility forms),
  lower-cased;
- stripped of everything that is not a letter or a digit (punctuation, spaces, line breaks, the
  numbering's 、and （）): what remains is the wording;
- stripped of the spec's own words: the section titles, field labels, outline headings, each
  field's 内容要点 and 佐证材料 hints, and the boilerplate phrases the spec lists
  (`similarity.boilerplate`), longest first, each normalised the same way.

What remains is cut into overlapping character shingles (n-grams) of the spec's `shingle_size`.
"""

import re
import unicodedata
from collections.abc import Iterable

import numpy as np

# Everything but letters and digits (str.isalnum, Unicode-wide): punctuation, spaces, symbols.
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Return `text` with width unified (NFKC), lower case, and only letters and digits left."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _NOT_WORD.sub("", folded)


class Stripper:
    """Removes the spec's own words (already normalised, longest first) from normalised text."""

    def __init__(self, phrases: Iterable[str]) -> None:
        normalised = {normalise(phrase) for phrase in phrases}
        # Phrases of one or two characters would cut ordinary words out of every text.
        kept = sorted((p for p in normalised if len(p) >= 3), key=lambda p: (-len(p), p))
        self.pattern = re.compile("|".join(re.escape(p) for p in kept)) if kept else None

    def __call__(self, text: str) -> str:
        normalised = normalise(text)
        if self.pattern is None:
            return normalised
        return self.pattern.sub("", normalised)


# Shingle hashes: a polynomial over the characters' code points, modulo 2**32 (numpy's uint32
# arithmetic wraps), computed for every window at once.
_BASE = np.uint32(1_000_003)


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """Return the distinct 32-bit hashes of the `size`-character shingles of normalised `text`.

    A text shorter than `size` has one shingle, itself (so that it is not empty).
    """
    if not text:
        return np.zeros(0, dtype=np.uint32)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if len(codes) < size:
        size = len(codes)
    count = len(codes) - size + 1
    hashes = np.zeros(count, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for offset in range(size):
            hashes = hashes * _BASE + codes[offset : offset + count]
    return np.unique(hashes)


def shingles(text: str, size: int) -> set[str]:
    """Return the set of `size`-character shingles of normalised `text` (for tests and display)."""
    if len(text) <= size:
        return {text} if text else set()
    return {text[i : i + size] for i in range(len(text) - size + 1)}
