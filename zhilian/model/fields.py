"""What the schema's classes share: most are pydantic models; ``Youth``, of which a province
has 100,000, is a pydantic dataclass (slots, and no per-instance set of the fields given:
a fifth of a model's memory, the same validation).  The handbook, the diagnostics and the
tests ask for a class's fields through here."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel
from pydantic.dataclasses import is_pydantic_dataclass
from pydantic.fields import FieldInfo

#: a pydantic model or dataclass of the schema
SchemaClass = type[Any]


def is_schema_class(obj: object) -> bool:
    """Whether ``obj`` is a class of the schema: a pydantic model or dataclass."""
    return inspect.isclass(obj) and (issubclass(obj, BaseModel) or is_pydantic_dataclass(obj))


def fields_of(cls: SchemaClass) -> dict[str, FieldInfo]:
    """A schema class's fields, in their order."""
    if issubclass(cls, BaseModel):
        return cls.model_fields
    return cls.__pydantic_fields__  # type: ignore[attr-defined, no-any-return]
