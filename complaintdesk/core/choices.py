"""Enums with translated labels, usable as Django choices without importing the ORM.

The pure workflow module must not import django.db, so the vocabulary it shares with the
models is plain `StrEnum` plus a label table.
"""

from enum import StrEnum


class LabelledEnum(StrEnum):
    """Subclasses define `_labels()` returning {member: lazy label}."""

    @classmethod
    def _labels(cls) -> dict:
        return {}

    @property
    def label(self) -> str:
        return self._labels().get(self, self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        labels = cls._labels()
        return [(m.value, labels.get(m, m.value)) for m in cls]
