"""The base of every API input schema."""

from ninja import Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class InputSchema(Schema):
    """Refuses NUL characters anywhere in the input: PostgreSQL cannot store them in text,
    and no person types one, so it is a malformed request, not something to save."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        if _has_nul(value):
            raise PydanticCustomError("nul_character", "text contains a NUL character")
        return value
