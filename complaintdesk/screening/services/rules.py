"""The screening rules, kept per process like the deadline policies (sla/services/policies.py):
the rows are read at most every SLA_CACHE_SECONDS and compared with the snapshot; only a
difference rebuilds what is derived from them (the rule per kind, the phrase automaton). A
registration therefore costs no query for the rules, and an edit in the admin (which calls
`screening_rules_changed`) holds at once in that process and within the interval in the
others.

The phrases are matched with an Aho-Corasick automaton (pyahocorasick, C): one pass over the
complaint's text finds every phrase at once, whatever the number of phrases.
"""

from __future__ import annotations

import threading
import time as monotonic_time
from dataclasses import dataclass, field

import ahocorasick

from complaintdesk.screening.models import RepeatRule, SpecialPhrase, SpecialType
from complaintdesk.screening.vocabulary import PhraseMeaning
from complaintdesk.sla.services.calendars import cache_seconds


@dataclass(frozen=True)
class RepeatSpec:
    kind: str
    category_level: int
    window_days: int
    over_the_head_raise: int
    over_the_head_min_severity: str


# When no row exists at all (a fresh database before the seed migration, tests that empty the
# table): the defaults.
DEFAULT_RULE = RepeatSpec(kind="", category_level=1, window_days=30, over_the_head_raise=1,
                          over_the_head_min_severity="")


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    meaning: str

    @property
    def meaning_label(self) -> str:
        try:
            return str(PhraseMeaning(self.meaning).label)
        except ValueError:
            return self.meaning


def _fold(text: str) -> str:
    # Case-insensitive for Latin letters and full-width forms alike; Chinese is unchanged.
    return text.casefold()


@dataclass
class _Rules:
    rows: tuple
    repeat: dict[str, RepeatSpec | None] = field(default_factory=dict)  # kind → spec (None: off)
    automaton: object | None = None
    special_types: tuple = ()  # the active SpecialType rows, in their order (read-only copies)

    @classmethod
    def from_rows(cls, rows: tuple) -> _Rules:
        rule_rows, phrase_rows, type_rows = rows
        repeat: dict[str, RepeatSpec | None] = {}
        for kind, active, level, window, raise_by, floor in rule_rows:
            repeat[kind or ""] = RepeatSpec(kind or "", level, window, raise_by, floor or "") if active else None
        if not rule_rows:
            repeat[""] = DEFAULT_RULE
        automaton = None
        if phrase_rows:
            automaton = ahocorasick.Automaton()
            for phrase, meaning in phrase_rows:
                key = _fold(phrase.strip())
                if key:
                    automaton.add_word(key, (phrase, meaning))
            if len(automaton):
                automaton.make_automaton()
            else:
                automaton = None
        types = tuple(SpecialType(id=pk, code=code, name=name, name_en=name_en, hints=hints, hints_en=hints_en,
                                  position=position, active=True)
                      for pk, code, name, name_en, hints, hints_en, position in type_rows)
        return cls(rows=rows, repeat=repeat, automaton=automaton, special_types=types)

    def repeat_rule(self, kind: str) -> RepeatSpec | None:
        if kind in self.repeat:
            return self.repeat[kind]
        return self.repeat.get("")

    def match(self, text: str) -> list[PhraseMatch]:
        if self.automaton is None or not text:
            return []
        seen: dict[str, PhraseMatch] = {}
        for _end, (phrase, meaning) in self.automaton.iter(_fold(text)):
            seen.setdefault(phrase, PhraseMatch(phrase, meaning))
        return list(seen.values())


def _load_rows() -> tuple:
    return (
        tuple(RepeatRule.objects.order_by("id").values_list(
            "kind", "active", "category_level", "window_days", "over_the_head_raise",
            "over_the_head_min_severity")),
        tuple(SpecialPhrase.objects.filter(active=True).order_by("id").values_list("phrase", "meaning")),
        tuple(SpecialType.objects.filter(active=True).order_by("position", "id").values_list(
            "id", "code", "name", "name_en", "hints", "hints_en", "position")),
    )


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules: _Rules | None = None
        self.checked = 0.0

    def get(self) -> _Rules:
        rules = self.rules
        if rules is not None and monotonic_time.monotonic() - self.checked < cache_seconds():
            return rules
        with self.lock:
            rows = _load_rows()
            if self.rules is None or rows != self.rules.rows:
                self.rules = _Rules.from_rows(rows)
            self.checked = monotonic_time.monotonic()
            return self.rules

    def clear(self):
        with self.lock:
            self.rules = None
            self.checked = 0.0


_cache = _Cache()


def screening_rules_changed() -> None:
    """Call after saving repeat rules, phrases or special types (the admin does)."""
    _cache.clear()


def repeat_rule_for(kind: str) -> RepeatSpec | None:
    """The repeat rule of a ticket kind; None when the kind is not checked."""
    return _cache.get().repeat_rule(str(kind))


def special_types() -> list[SpecialType]:
    """The active special complainant types (000's six), in their order; no query once cached."""
    return list(_cache.get().special_types)


def special_phrases_match(*texts: str) -> list[PhraseMatch]:
    """The special-complainant phrases found in the texts, each once, in order of appearance."""
    return _cache.get().match("\n".join(t for t in texts if t))
