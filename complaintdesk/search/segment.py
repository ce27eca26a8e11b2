"""Chinese word segmentation: the words that search (and near-duplicate detection) compare.

Chinese has no spaces, so every text is cut into words with jieba before it is indexed or
compared. Two cuts:

- `search_tokens(text)`: jieba's *search mode*, which gives each long word and also the
  shorter dictionary words inside it (质量问题 → 质量, 问题, 质量问题), so a query for a part
  finds the whole. This is what the index stores.
- `query_tokens(text)`: the *precise* cut, one token per word of the query, which the
  selector ANDs (or ORs for long queries).

Both normalise the same way (NFKC, so full-width letters and digits become ASCII, then
case-folded) and keep only runs of letters and digits: punctuation and spaces are never a
token, and a token never contains a character that PostgreSQL's text-search parser or
SQLite's FTS5 `unicode61` tokenizer would split on, so the two databases see the same words.

jieba's dictionary takes ~0.6 s to load, so it is loaded once per process: lazily, under a
lock, by the first caller (or by `warm()` at process start, see SearchConfig.ready and
config/wsgi.py). The user dictionary (words an administrator adds, seeded from the category
names and required-element labels) comes from a loader that the search app registers
(`set_user_words_loader`); it is applied on first use and re-read at most every
`refresh_seconds`, so an edit in the admin reaches every process without a restart or a
signal. This module itself never touches the database.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable

import jieba

log = logging.getLogger(__name__)

# A token is a run of letters and digits (no underscore: both FTS tokenizers split on it).
_WORD = re.compile(r"[^\W_]+")
# Longer runs are base64 blobs or similar, not words; PostgreSQL also refuses lexemes > 2 KiB.
MAX_TOKEN_LENGTH = 64

UserWord = tuple[str, int | None]  # (word, frequency or None for "enough to keep it whole")

_lock = threading.RLock()
_tokenizer: jieba.Tokenizer | None = None
_loader: Callable[[], Iterable[UserWord]] | None = None
_refresh_seconds = 30.0
_applied: dict[str, int | None] = {}  # user words now in the tokenizer
_original_freq: dict[str, int | None] = {}  # their frequency in jieba's dictionary before
_checked_at = 0.0
_stale = True

# jieba logs its dictionary load at INFO on its own stderr handler; keep it quiet.
jieba.setLogLevel(logging.WARNING)


def normalise(text: str) -> str:
    """The form every text is compared in: NFKC (全角 → half width), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def set_user_words_loader(loader: Callable[[], Iterable[UserWord]] | None, *,
                          refresh_seconds: float = 30.0) -> None:
    """Register where the user dictionary comes from (the search app does, in ready())."""
    global _loader, _refresh_seconds, _stale
    with _lock:
        _loader = loader
        _refresh_seconds = refresh_seconds
        _stale = True


def set_user_words(words: Iterable[UserWord]) -> None:
    """Apply exactly these user words now and count them as fresh (no loader call until
    refresh_seconds have passed or user_words_changed())."""
    global _checked_at, _stale
    base = _base_tokenizer()
    with _lock:
        _apply_user_words(base, list(words))
        _stale = False
        _checked_at = time.monotonic()


def user_words_changed() -> None:
    """Re-read the user dictionary on the next cut in this process (the admin calls it after a
    save; other processes see the edit within refresh_seconds)."""
    global _stale
    _stale = True


def _base_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                started = time.monotonic()
                tokenizer = jieba.Tokenizer()
                # jieba caches the parsed dictionary in a file; the system temp dir is shared
                # by every process of the machine and written atomically by jieba.
                tokenizer.tmp_dir = tempfile.gettempdir()
                tokenizer.initialize()
                _tokenizer = tokenizer
                log.info("jieba dictionary loaded in %.2f s", time.monotonic() - started)
    return _tokenizer


def _apply_user_words(tokenizer: jieba.Tokenizer, words: Iterable[UserWord]) -> None:
    """Make the tokenizer's user words exactly `words`: add new ones, restore removed ones."""
    wanted: dict[str, int | None] = {}
    for word, freq in words:
        word = normalise(word).strip()
        if word and not any(ch.isspace() for ch in word):
            wanted[word] = freq
    for word in list(_applied):
        if word not in wanted:
            original = _original_freq.pop(word, None)
            if original:
                tokenizer.add_word(word, original)
            else:
                tokenizer.del_word(word)
            del _applied[word]
    for word, freq in wanted.items():
        if word in _applied and _applied[word] == freq:
            continue
        if word not in _applied:
            _original_freq[word] = tokenizer.FREQ.get(word) or None
        # freq None: jieba picks a frequency just high enough to keep the word whole.
        tokenizer.add_word(word, freq)
        _applied[word] = freq


def tokenizer() -> jieba.Tokenizer:
    """The process's tokenizer with the current user dictionary applied."""
    global _checked_at, _stale
    base = _base_tokenizer()
    loader = _loader
    if loader is not None and (_stale or time.monotonic() - _checked_at >= _refresh_seconds):
        with _lock:
            if _stale or time.monotonic() - _checked_at >= _refresh_seconds:
                _stale = False
                _checked_at = time.monotonic()
                try:
                    _apply_user_words(base, list(loader()))
                except Exception:  # a missing table (before migrate) must not stop a cut
                    log.warning("user dictionary not loaded", exc_info=True)
    return base


def warm() -> None:
    """Load the dictionary now (web and worker processes call it at start)."""
    _base_tokenizer()


def _clean(tokens: Iterable[str]) -> list[str]:
    out = []
    for token in tokens:
        for word in _WORD.findall(token):
            if len(word) <= MAX_TOKEN_LENGTH:
                out.append(word)
    return out


def search_tokens(text: str | None) -> list[str]:
    """jieba search-mode tokens of `text`, normalised, in order, repeats kept (for ranking)."""
    if not text:
        return []
    return _clean(tokenizer().cut_for_search(normalise(text)))


def query_tokens(text: str | None) -> list[str]:
    """The words of a query (jieba's precise cut), normalised, in order, without repeats."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for word in _clean(tokenizer().cut(normalise(text))):
        seen.setdefault(word, None)
    return list(seen)


def segmented(text: str | None) -> str:
    """`search_tokens` joined by spaces: the text both databases' full-text indexes read."""
    return " ".join(search_tokens(text))
