"""HTTP routes of the learning API: importing labels and reading a brand's model."""

from __future__ import annotations

from fastapi import APIRouter

from beacon_shared.db import DbSession
from moderation.dependencies import ReadableBrand, Reader, WritableBrand, Writer
from moderation.learning import service
from moderation.learning.dependencies import LabelFile
from moderation.learning.labelfile import MAX_BYTES, MAX_ROWS
from moderation.learning.schemas import BrandLearningOut, LabelImport

router = APIRouter(prefix="/v1/brands/{brand_id}", tags=["learning"])

_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "maxLength": MAX_BYTES}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


@router.post(
    "/labels/import",
    summary="Import labelled comments to train the brand's model",
    description=(
        "A CSV with the columns `text` and `label` (others are ignored), UTF-8, comma-, "
        f"semicolon- or tab-separated, at most {MAX_BYTES // 2**20} MiB and {MAX_ROWS:,} rows, "
        "as a `text/csv` body or the part `file` of `multipart/form-data`. `label` is "
        "remove/keep, hide/allow, delete/approve, 1/0, true/false, yes/no, spam/ham or "
        "offensive/not (case-insensitive). Every row is checked first: with one bad row nothing "
        "is imported and the problem document lists the rows (the header is row 1). A text "
        "imported again for the brand takes its new label."
    ),
    responses={401: {}, 403: {}, 413: {}, 415: {}, 422: {}},
    openapi_extra=_FILE_BODY,
)
async def import_labels(
    # The caller and the brand first: FastAPI resolves parameters in order, and the body's type
    # is only checked for a caller who may import on a brand that exists (a 401 before a 415).
    brand_id: WritableBrand,
    principal: Writer,
    file: LabelFile,
    session: DbSession,
) -> LabelImport:
    """Import the brand's labels from a CSV, all rows or none."""
    return await service.import_labels(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        data=file,
        labelled_by=principal.actor,
    )


@router.get(
    "/model",
    summary="The brand's labels and current model",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_model(
    brand_id: ReadableBrand, principal: Reader, session: DbSession
) -> BrandLearningOut:
    """Label counts, and the model trained on them with its cross-validated figures (null until
    the brand has enough labels of each kind and the background training has run)."""
    return await service.describe(session, tenant_id=principal.tenant_id, brand_id=brand_id)
