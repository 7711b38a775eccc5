"""The shared text of two sections, for showing them side by side.

Matching is exact and order-free: a character is shared when it lies in a run of at least
`RUN` letters and digits (after the same normalisation as the comparison: width unified,
punctuation and spaces skipped) that the other text holds too, anywhere. So a copied paragraph
is marked wherever each side has put it, and a reordered copy is marked whole, which an ordered
alignment (difflib's SequenceMatcher) would cut into its longest in-order part.
"""

import unicodedata
from dataclasses import dataclass
from itertools import groupby

RUN = 8


@dataclass(frozen=True)
class Segment:
    text: str
    shared: bool


@dataclass(frozen=True)
class Aligned:
    segments: list[Segment]
    shared_chars: int  # letters and digits marked shared
    chars: int  # letters and digits in all

    @property
    def shared_percent(self) -> int:
        return round(100 * self.shared_chars / self.chars) if self.chars else 0


def _normalised_with_positions(text: str) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the position in `text` it came from."""
    chars: list[str] = []
    positions: list[int] = []
    for position, char in enumerate(text):
        # As `normalise` does for a whole text, one character at a time.
        for folded in unicodedata.normalize("NFKC", char) if not char.isascii() else char:
            if folded.isalnum():
                chars.append(folded.lower())
                positions.append(position)
    return "".join(chars), positions


def _marks(own: str, other_runs: set[str], run: int) -> list[bool]:
    marked = [False] * len(own)
    covered = 0  # marked up to here (exclusive)
    for start in range(len(own) - run + 1):
        if own[start : start + run] in other_runs:
            end = start + run
            for offset in range(max(start, covered), end):
                marked[offset] = True
            covered = end
    return marked


def _segments(text: str, positions: list[int], marked: list[bool]) -> list[Segment]:
    shared_at = [False] * len(text)
    # A shared run covers the punctuation between its letters too.
    index = 0
    while index < len(marked):
        if not marked[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(marked) and marked[end + 1]:
            end += 1
        for position in range(positions[index], positions[end] + 1):
            shared_at[position] = True
        index = end + 1
    segments: list[Segment] = []
    start = 0
    for shared, run in groupby(shared_at):
        length = len(list(run))
        segments.append(Segment(text[start : start + length], shared))
        start += length
    return segments


def align(a: str, b: str, run: int = RUN) -> tuple[Aligned, Aligned]:
    """Mark in each of two texts what the other holds too (runs of at least `run` characters)."""
    norm_a, positions_a = _normalised_with_positions(a)
    norm_b, positions_b = _normalised_with_positions(b)
    runs_a = {norm_a[i : i + run] for i in range(len(norm_a) - run + 1)}
    runs_b = {norm_b[i : i + run] for i in range(len(norm_b) - run + 1)}
    marked_a = _marks(norm_a, runs_b, run)
    marked_b = _marks(norm_b, runs_a, run)
    return (
        Aligned(_segments(a, positions_a, marked_a), sum(marked_a), len(norm_a)),
        Aligned(_segments(b, positions_b, marked_b), sum(marked_b), len(norm_b)),
    )
