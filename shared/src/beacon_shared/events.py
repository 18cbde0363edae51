"""The event envelope (CloudEvents 1.0 attribute names) and its Kafka record encoding."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar
from uuid import UUID, uuid4

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from beacon_shared.tracing import child_traceparent, current_correlation_id, current_traceparent

JsonObject = dict[str, Any]
P = TypeVar("P", bound="EventPayload")


class EventPayload(BaseModel):
    """Base of every published payload; subclasses name their event type and topic."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    event_type: ClassVar[str]
    topic: ClassVar[str]


class MalformedEvent(Exception):
    """A record that is not a valid envelope or whose data does not match its contract."""


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus tenant, correlation and causation ids."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version.")
    id: UUID = Field(default_factory=uuid4, description="Set by the producer; the dedupe key.")
    type: str = Field(min_length=1, description="`<producer>.<aggregate>.<verb>`")
    source: str = Field(min_length=1, description="The producing service, e.g. `/beacon/ingest`.")
    subject: str = Field(min_length=1, description="The aggregate id.")
    time: AwareDatetime = Field(description="When the producer created the event (UTC).")
    datacontenttype: Literal["application/json"] = "application/json"
    tenantid: str = Field(min_length=1, description="The tenant the event belongs to.")
    correlationid: str | None = Field(
        default=None, description="Shared by a request and every event that follows from it."
    )
    causationid: str | None = Field(default=None, description="The id of the event that caused it.")
    data: JsonObject = Field(description="The payload, per the event type's contract.")

    @classmethod
    def build(
        cls,
        payload: EventPayload,
        *,
        tenant_id: str,
        subject: str,
        source: str,
        cause: Envelope | None = None,
        correlation_id: str | None = None,
    ) -> Envelope:
        """A new envelope for `payload`; it inherits its cause's or the current correlation id."""
        return cls(
            type=payload.event_type,
            source=source,
            subject=subject,
            time=datetime.now(UTC),
            tenantid=tenant_id,
            correlationid=correlation_id
            or (cause.correlationid if cause else None)
            or current_correlation_id.get(),
            causationid=str(cause.id) if cause else None,
            data=payload.model_dump(mode="json"),
        )

    def payload(self, model: builtins.type[P]) -> P:
        """The data validated against its contract; a mismatch is a MalformedEvent."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise MalformedEvent(
                f"{self.type} data does not match {model.__name__}: {exc}"
            ) from exc


Headers = list[tuple[str, bytes]]


def encode(envelope: Envelope) -> bytes:
    """The record value."""
    return orjson.dumps(envelope.model_dump(mode="json"))


def decode(value: bytes | None) -> Envelope:
    """Parse a record value; anything unparseable is a MalformedEvent."""
    if not value:
        raise MalformedEvent("empty record value")
    try:
        return Envelope.model_validate_json(value)
    except ValidationError as exc:
        raise MalformedEvent(f"not a valid envelope: {exc.errors(include_url=False)}") from exc


def record_headers(envelope: Envelope) -> Headers:
    """Headers repeating the id and type, plus the W3C traceparent of the current work."""
    return [
        ("ce_id", str(envelope.id).encode()),
        ("ce_type", envelope.type.encode()),
        ("traceparent", child_traceparent(current_traceparent.get()).encode()),
    ]


def header(headers: Headers | None, name: str) -> str | None:
    """The first value of a record header, decoded."""
    for key, value in headers or ():
        if key == name and value is not None:
            return value.decode(errors="replace")
    return None
