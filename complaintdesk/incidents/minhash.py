"""Near-duplicate signatures: MinHash over a ticket's words, cut into LSH bands.

Pure (no models): tokens → a MinHash signature (datasketch) → one 64-bit key per band. Two
tickets whose word sets overlap by Jaccard J share at least one band with probability
1 − (1 − J^ROWS)^BANDS: with 16 bands of 4 rows that is 0.5 at J ≈ 0.5, 0.98 at J = 0.7 and
0.01 at J = 0.2. The band keys are stored in an indexed table, so a lookup is a handful of
index probes on either database, never a scan (incidents/selectors.py).

Shingles: jieba search-mode words plus the character bigrams of the text. Complaint titles
are short (≈20 characters); the bigrams keep two wordings of one fault close even when jieba
cuts them differently (透镜发白 / 透镜 发白), the words keep a shared long term worth more than
one bigram. Measured on the labelled car-complaint sample (tests/test_incidents_quality.py).
"""

import hashlib
import re

import numpy as np

from complaintdesk.search.segment import normalise, search_tokens

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
# A fixed seed: signatures written by one process must compare with those of any other.
SEED = 1
# Estimated Jaccard at or above which a ticket is suggested as saying the same thing.
SIMILAR_AT = 0.5
TEXT_LIMIT = 4000  # characters of title + description that are signed (the start says what it is)

_NON_WORD = re.compile(r"[\W_]+")
_template = None


def _minhash_class():
    # datasketch (and numpy/scipy behind it) costs ≈1 s to import: loaded on first use only.
    global _template
    if _template is None:
        from datasketch import MinHash

        _template = MinHash(num_perm=NUM_PERM, seed=SEED)
    return _template


def shingles(text: str) -> set[str]:
    # The words are search's (complaintdesk/search/segment.py: the same jieba, dictionary and
    # normalisation as the full-text index); a word the administrator adds to the user
    # dictionary changes later signatures a little, `incidents_reindex --all` re-signs.
    text = normalise((text or "")[:TEXT_LIMIT])
    compact = _NON_WORD.sub("", text)
    grams = {compact[i:i + 2] for i in range(len(compact) - 1)}
    return set(search_tokens(text)) | grams


def signature(text: str) -> np.ndarray:
    """NUM_PERM uint32 MinHash values; all-max for a text with no shingles (matches nothing)."""
    from datasketch import MinHash

    template = _minhash_class()
    m = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=template.permutations,
                scheme=template.scheme)
    words = shingles(text)
    if words:
        m.update_batch([w.encode() for w in words])
    return m.hashvalues.astype(np.uint32)


def is_empty(sig: np.ndarray) -> bool:
    return bool((sig == np.uint32(0xFFFFFFFF)).all())


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (the band's number is part of the key, so one indexed
    column holds every band)."""
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    if is_empty(a) or is_empty(b):
        return 0.0
    return float((a == b).mean())


def text_hash(text: str) -> str:
    return hashlib.blake2b((text or "").encode(), digest_size=8).hexdigest()


def ticket_text(title: str, description: str) -> str:
    return f"{title}\n{description}"
