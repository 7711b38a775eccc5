"""MinHash signatures (datasketch) and the banded index that finds similar ones.

A section's signature is datasketch's MinHash (NUM_PERM permutations, the 32-bit affine scheme)
of its shingles' hashes. The index is locality-sensitive hashing by bands: the signature is cut
into `bands` bands of `rows` values; two sections that agree on a whole band are candidates, and a
candidate is kept when the share of equal signature values (the MinHash estimate of the Jaccard
similarity) reaches the threshold. The bands and rows are the ones datasketch's `MinHashLSH`
chooses for the threshold (the least weighted false-positive and false-negative probability).

The index is not datasketch's `MinHashLSH`: for 140,000 sections that one took 37 s to fill and
940 MB of memory (a Python set per bucket), where sorted numpy arrays of band keys take about a
second and 50 MB (docs/decisions/0022). It is built from the signatures stored in the database
(`IndexedText`) and kept per process, taking in only rows newer than it has on each use.
"""

import functools
import threading
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash, MinHashLSH
from django.db.models import Max

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int, scheme=SCHEME).permutations
SIGNATURE_DTYPE = np.dtype("<u4")
HEAD = 32


def signature(hashes: np.ndarray) -> np.ndarray:
    """Return the MinHash signature (NUM_PERM uint32) of a set of 32-bit shingle hashes."""
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int, scheme=SCHEME, permutations=_PERMUTATIONS)
    minhash.update_batch(hashes.tolist())
    return minhash.hashvalues.astype(SIGNATURE_DTYPE)


def to_bytes(values: np.ndarray) -> bytes:
    return values.astype(SIGNATURE_DTYPE).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=SIGNATURE_DTYPE)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of the Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


@functools.lru_cache(maxsize=16)
def bands_for(threshold: float) -> tuple[int, int]:
    """Return (bands, rows) as datasketch's LSH chooses them for this threshold and NUM_PERM,
    a missed copy weighing four times a candidate too many (at 0.17: 64 bands of 2 rows, which
    finds 99% of the pairs at 0.26)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, weights=(0.2, 0.8))
    return lsh.b, lsh.r


# Band keys: the band's values folded into one 64-bit number (a collision only adds a candidate).
_FOLD = np.uint64(0x9E3779B97F4A7C15)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Return a (len(signatures), bands) uint64 array: each band's key."""
    signatures = np.atleast_2d(signatures).astype(np.uint64)
    keys = np.zeros((signatures.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for row in range(rows):
            # Band b holds the values b * rows … b * rows + rows - 1.
            keys = (keys ^ signatures[:, row::rows][:, :bands]) * _FOLD
    return keys


@dataclass
class Hit:
    """One stored section alike to a queried one."""

    position: int  # of the query's section, in the order given
    row_id: int  # IndexedText pk
    owner: int  # application id, or -case id
    score: float


@dataclass
class BandIndex:
    """Signatures with their owners, and per band the sorted keys with the rows holding them."""

    bands: int
    rows: int
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    signatures: np.ndarray = field(default_factory=lambda: np.zeros((0, NUM_PERM), dtype=SIGNATURE_DTYPE))
    sorted_keys: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint64))
    order: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    # Rows added since the last sort, searched by comparison until there are many.
    tail_from: int = 0
    watermark: int = 0

    def add(self, ids: np.ndarray, owners: np.ndarray, signatures: np.ndarray) -> None:
        if len(ids) == 0:
            return
        self.ids = np.concatenate([self.ids, ids.astype(np.int64)])
        self.owners = np.concatenate([self.owners, owners.astype(np.int64)])
        self.signatures = np.concatenate([self.signatures, signatures.astype(SIGNATURE_DTYPE)])
        self.watermark = max(self.watermark, int(ids.max()))
        if len(self.ids) - self.tail_from > max(2000, self.tail_from // 20):
            self._sort()

    def _sort(self) -> None:
        keys = band_keys(self.signatures, self.bands, self.rows)
        self.order = np.argsort(keys, axis=0, kind="stable")
        self.sorted_keys = np.take_along_axis(keys, self.order, axis=0)
        self.tail_from = len(self.ids)

    def query(self, signatures: np.ndarray, threshold: float, exclude_owner: int | None = None) -> list[Hit]:
        """Return the stored sections whose estimated similarity to one of `signatures` is at
        least `threshold`."""
        signatures = np.atleast_2d(signatures)
        if len(signatures) == 0 or len(self.ids) == 0:
            return []
        query_keys = band_keys(signatures, self.bands, self.rows)
        hits: list[Hit] = []
        tail_keys = (
            band_keys(self.signatures[self.tail_from :], self.bands, self.rows)
            if self.tail_from < len(self.ids)
            else None
        )
        for position, signature_ in enumerate(signatures):
            candidates = []
            if self.tail_from:
                for band in range(self.bands):
                    column = self.sorted_keys[:, band]
                    key = query_keys[position, band]
                    left = np.searchsorted(column, key, side="left")
                    right = np.searchsorted(column, key, side="right")
                    if right > left:
                        candidates.append(self.order[left:right, band])
            if tail_keys is not None:
                matched = np.nonzero((tail_keys == query_keys[position]).any(axis=1))[0]
                candidates.append(matched + self.tail_from)
            if not candidates:
                continue
            found = np.unique(np.concatenate(candidates))
            if exclude_owner is not None:
                found = found[self.owners[found] != exclude_owner]
            # A first look at the first HEAD values drops most candidates cheaply (at 0.26 one in
            # a hundred is dropped, at the 0.04 of independent texts 97 in a hundred).
            head = (self.signatures[found, :HEAD] == signature_[:HEAD]).sum(axis=1) / HEAD
            found = found[head >= threshold - 0.1]
            scores = (self.signatures[found] == signature_).sum(axis=1) / NUM_PERM
            kept = scores >= threshold
            hits.extend(
                Hit(position=position, row_id=int(i), owner=int(o), score=float(s))
                for i, o, s in zip(self.ids[found[kept]], self.owners[found[kept]], scores[kept], strict=True)
            )
        return hits


_indexes: dict[tuple[int, int, int], BandIndex] = {}
_lock = threading.Lock()


def current_index(shingle_size: int, threshold: float) -> BandIndex:
    """Return this process's index of the stored signatures of this shingle size, brought up to
    date with the rows stored since it last looked."""
    from shifan.similarity.models import FIGURES_KEY, IndexedText

    bands, rows = bands_for(threshold)
    with _lock:
        key = (shingle_size, bands, rows)
        index = _indexes.setdefault(key, BandIndex(bands=bands, rows=rows))
        newest = IndexedText.objects.aggregate(newest=Max("id"))["newest"] or 0
        if newest < index.watermark:  # the table was emptied (a restore, a test): start again
            index = _indexes[key] = BandIndex(bands=bands, rows=rows)
        new = (
            IndexedText.objects.filter(shingle_size=shingle_size, id__gt=index.watermark)
            .exclude(field_key=FIGURES_KEY)
            .order_by("id")
            .values_list("id", "application_id", "case_id", "signature")
        )
        ids, owners, signatures = [], [], []
        for pk, application_id, case_id, data in new.iterator(chunk_size=5000):
            ids.append(pk)
            owners.append(application_id if application_id is not None else -case_id)
            signatures.append(from_bytes(data))
        if ids:
            index.add(np.array(ids), np.array(owners), np.vstack(signatures))
        return index


def forget_indexes() -> None:
    """Drop this process's indexes (the tests' databases are emptied between tests)."""
    with _lock:
        _indexes.clear()
