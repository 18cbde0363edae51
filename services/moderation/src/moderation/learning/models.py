"""Labels every brand's moderators gave, and the per-brand models trained on them."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from moderation.db import metadata

brand_label = Table(
    "brand_label",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("source", Text, nullable=False),
    # Set for a reviewer's decision; null for an imported row.
    Column("interaction_id", UUID(as_uuid=True)),
    # sha256 of an imported row's text: importing the same text again replaces its label.
    Column("text_digest", LargeBinary),
    Column("labelled_by", Text, nullable=False),
    Column("labelled_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("label IN ('remove', 'keep')", name="label"),
    CheckConstraint("source IN ('review', 'import')", name="source"),
    CheckConstraint("(interaction_id IS NULL) = (text_digest IS NOT NULL)", name="one_key"),
    # A comment labelled twice keeps the latest label (upserts target these).
    UniqueConstraint("tenant_id", "interaction_id"),
    UniqueConstraint("tenant_id", "brand_id", "text_digest"),
    Index("ix_brand_label_tenant_id_brand_id_labelled_at", "tenant_id", "brand_id", "labelled_at"),
)

brand_model = Table(
    "brand_model",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    # 1, 2, … per brand; the highest is the one in use.
    Column("version", Integer, nullable=False),
    Column("trained_at", DateTime(timezone=True), nullable=False),
    # How texts and scores become features (moderation.learning.features.FeatureConfig).
    Column("features", JSONB, nullable=False),
    # The shared classifier whose scores the model was trained on.
    Column("base_model_version", Text, nullable=False),
    # Non-zero weights only: column indices as little-endian int32, weights as float32.
    Column("coef_index", LargeBinary, nullable=False),
    Column("coef_value", LargeBinary, nullable=False),
    Column("intercept", Double, nullable=False),
    Column("threshold", Double, nullable=False),
    # The labels it was trained on (the newest MAX_TRAINING_LABELS at most).
    Column("labels_remove", Integer, nullable=False),
    Column("labels_keep", Integer, nullable=False),
    # All the brand's labels then, and the newest one: more, or newer, means retrain.
    Column("labels_seen", Integer, nullable=False),
    Column("labels_until", DateTime(timezone=True), nullable=False),
    # Cross-validated precision, recall, F1 and ROC AUC at `threshold`.
    Column("metrics", JSONB, nullable=False),
    UniqueConstraint("tenant_id", "brand_id", "version"),
)
