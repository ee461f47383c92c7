from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, computed_field

from inbox.core.schemas import CustomFields, InputModel, LongText, Name, OutputModel, ShortText
from inbox.templates import rendering
from inbox.templates.models import Tone


def normalise_category(value: str) -> str:
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def _category(value: str) -> str:
    normalised = normalise_category(value)
    if not re.fullmatch(r"\w{1,64}", normalised):
        raise ValueError("must be 1 to 64 letters, digits or underscores (such as follow_up)")
    return normalised


def _single_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line")
    return value


Category = Annotated[str, AfterValidator(_category)]
Subject = Annotated[ShortText, AfterValidator(_single_line)]
Body = Annotated[LongText, Field(min_length=1)]


class TemplateCreate(InputModel):
    name: Name
    subject: Subject = ""
    body: Body
    tone: Tone = Tone.PROFESSIONAL
    category: Category = Field(default="general", description="lower-case, spaces and hyphens become _")
    is_default: bool = Field(default=False, description="makes this the category's default, replacing the old one")


class TemplateUpdate(InputModel):
    name: Name | None = None
    subject: Subject | None = None
    body: Body | None = None
    tone: Tone | None = None
    category: Category | None = None
    is_default: bool | None = None


class TemplatePreview(InputModel):
    context: CustomFields = Field(default_factory=dict, description="values of the template's variables")


class TemplateOut(OutputModel):
    id: uuid.UUID
    name: str
    subject: str
    body: str
    tone: Tone
    category: str
    is_default: bool
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def variables(self) -> list[str]:
        """The {{variable}} names used in the subject and body."""
        return list(dict.fromkeys(rendering.variables(self.subject) + rendering.variables(self.body)))


class RenderedTemplate(OutputModel):
    subject: str
    body: str
