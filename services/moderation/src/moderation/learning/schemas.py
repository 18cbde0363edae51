"""HTTP models of the learning API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class LabelCounts(BaseModel):
    """Labels by kind: `remove` (hide or delete) and `keep` (approve)."""

    remove: int
    keep: int


class LabelImport(BaseModel):
    """What an import stored."""

    brand_id: str
    rows: int = Field(description="Labelled rows read from the file.")
    imported: int = Field(description="Distinct texts stored (a repeated text keeps its last row).")
    duplicates: int = Field(description="Rows whose text appeared again later in the file.")
    labels: LabelCounts = Field(description="The stored labels by kind.")


class CrossValidation(BaseModel):
    """Out-of-fold figures on the brand's labels at the model's threshold."""

    folds: int
    precision: float
    recall: float
    f1: float
    roc_auc: float


class BrandModelOut(BaseModel):
    """A trained model of the brand."""

    version: int
    trained_at: datetime
    threshold: float = Field(description="Scores at or above it mean the brand would remove.")
    labels: LabelCounts = Field(description="The labels it was trained on.")
    cross_validation: CrossValidation
    base_model_version: str = Field(description="The shared classifier whose scores it reads.")


class BrandLearningOut(BaseModel):
    """A brand's labels and its current model (null until it has enough of each label)."""

    brand_id: str
    labels: LabelCounts
    min_labels_per_kind: int
    retrain_pending: bool = Field(
        description="Labels arrived since the current model was trained (or none was yet)."
    )
    model: BrandModelOut | None
