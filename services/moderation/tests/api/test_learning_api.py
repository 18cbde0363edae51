"""The learning API: importing labelled CSVs (all rows or none) and reading a brand's model."""

from __future__ import annotations

import pytest

from beacon_shared.app import create_service_app
from beacon_shared.db import create_sessionmaker
from moderation.classify import Classifier
from moderation.config import Settings
from moderation.learning import jobs
from moderation.learning.labelfile import MAX_BYTES, MAX_ROWS
from moderation.learning.router import router

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
CSV = {"Content-Type": "text/csv"}


def app_for(settings):
    # The lead mounts the router in main.py; the tests mount it alone.
    return create_service_app(settings, title="t", description="t", routers=[router])


def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
async def tenant(unique, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1")
    return tenant


@pytest.fixture
async def client(tenant, settings_for, api_client, issue_api_key):
    key = await issue_api_key(tenant, scopes=("moderation:read", "moderation:write"))
    async with api_client(app_for(settings_for(Settings)), key=key.key) as http:
        yield http


async def counts(client, brand="brand-1"):
    body = (await client.get(f"/v1/brands/{brand}/model")).json()
    return body["labels"]


class TestImport:
    async def test_a_csv_body_is_imported(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import",
            content=csv_of("text,label", "buy Fizzbolt,remove", "lovely,keep", "nice,allow"),
            headers=CSV,
        )

        assert response.status_code == 200
        assert response.json() == {
            "brand_id": "brand-1",
            "rows": 3,
            "imported": 3,
            "duplicates": 0,
            "labels": {"remove": 1, "keep": 2},
        }
        assert await counts(client) == {"remove": 1, "keep": 2}

    async def test_a_multipart_file_is_imported(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import",
            files={"file": ("labels.csv", csv_of("text,label", "café,1", "ok,0"), "text/csv")},
        )

        assert response.status_code == 200
        assert response.json()["labels"] == {"remove": 1, "keep": 1}

    async def test_bad_rows_are_listed_and_nothing_is_imported(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import",
            content=csv_of("text,label", "fine,keep", "x,perhaps", ",1", "y,spam"),
            headers=CSV,
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["code"] == "invalid_label_file"
        assert body["type"] == "urn:beacon:problem:invalid_label_file"
        assert body["instance"] == "/v1/brands/brand-1/labels/import"
        assert [(e["row"], e.get("column"), e["type"]) for e in body["errors"]] == [
            (3, "label", "invalid_label"),
            (4, "text", "empty_text"),
        ]
        assert await counts(client) == {"remove": 0, "keep": 0}

    async def test_a_missing_column_is_a_problem(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import",
            content=csv_of("comment,label", "x,1"),
            headers=CSV,
        )

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "row": 1,
                "column": "text",
                "type": "missing_column",
                "message": "no column named 'text'",
            }
        ]

    @pytest.mark.parametrize("content", [b"", csv_of("text,label")])
    async def test_an_empty_file_is_a_problem(self, client, content):
        response = await client.post(
            "/v1/brands/brand-1/labels/import", content=content, headers=CSV
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["type"] == "empty_file"

    async def test_more_rows_than_the_limit_is_refused(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import",
            content=csv_of("text,label", *["x,1"] * (MAX_ROWS + 1)),
            headers=CSV,
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "label_file_too_large"
        assert await counts(client) == {"remove": 0, "keep": 0}

    async def test_a_file_over_the_size_limit_is_refused(
        self, tenant, settings_for, api_client, issue_api_key
    ):
        key = await issue_api_key(tenant, scopes=("moderation:write",))
        settings = settings_for(Settings, max_body_bytes=MAX_BYTES * 2)
        async with api_client(app_for(settings), key=key.key) as http:
            response = await http.post(
                "/v1/brands/brand-1/labels/import",
                content=b"text,label\n" + b"x,1\n" * (MAX_BYTES // 4 + 1),
                headers=CSV,
            )

        assert response.status_code == 413
        assert response.json()["code"] == "label_file_too_large"

    async def test_another_media_type_is_unsupported(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import", json=[{"text": "x", "label": 1}]
        )

        assert response.status_code == 415
        assert response.headers["content-type"] == PROBLEM

    async def test_a_multipart_body_without_a_file_is_a_problem(self, client):
        response = await client.post(
            "/v1/brands/brand-1/labels/import", files={"note": (None, b"just a field")}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["type"] == "missing_file"


class TestAccess:
    async def test_importing_needs_the_write_scope(
        self, tenant, settings_for, api_client, issue_api_key
    ):
        key = await issue_api_key(tenant, scopes=("moderation:read",))
        async with api_client(app_for(settings_for(Settings)), key=key.key) as http:
            response = await http.post(
                "/v1/brands/brand-1/labels/import", content=csv_of("text,label", "x,1"), headers=CSV
            )

        assert response.status_code == 403

    @pytest.mark.parametrize("content_type", ["text/csv", "application/json", "image/png"])
    async def test_an_import_without_a_key_is_a_401_whatever_its_media_type(
        self, settings_for, api_client, content_type
    ):
        async with api_client(app_for(settings_for(Settings))) as http:
            response = await http.post(
                "/v1/brands/brand-1/labels/import",
                content=b"{}",
                headers={"Content-Type": content_type},
            )

        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == 'Bearer realm="beacon"'

    async def test_a_key_without_the_write_scope_is_a_403_before_the_media_type(
        self, tenant, settings_for, api_client, issue_api_key
    ):
        key = await issue_api_key(tenant, scopes=("moderation:read",))
        async with api_client(app_for(settings_for(Settings)), key=key.key) as http:
            response = await http.post(
                "/v1/brands/brand-1/labels/import",
                content=b"\x89PNG",
                headers={"Content-Type": "image/png"},
            )

        assert response.status_code == 403

    async def test_without_a_key_nothing_is_readable(self, settings_for, api_client):
        async with api_client(app_for(settings_for(Settings))) as http:
            response = await http.get("/v1/brands/brand-1/model")

        assert response.status_code == 401

    async def test_another_tenant_does_not_see_the_labels(
        self, client, unique, settings_for, api_client, issue_api_key, register_brands
    ):
        await client.post(
            "/v1/brands/brand-1/labels/import", content=csv_of("text,label", "x,1"), headers=CSV
        )
        other = unique("other")
        await register_brands(other, "brand-1")
        key = await issue_api_key(other, scopes=("moderation:read",))

        async with api_client(app_for(settings_for(Settings)), key=key.key) as http:
            body = (await http.get("/v1/brands/brand-1/model")).json()

        assert body["labels"] == {"remove": 0, "keep": 0}


class TestModel:
    async def test_a_brand_without_enough_labels_has_no_model(self, client):
        body = (await client.get("/v1/brands/brand-1/model")).json()

        assert body == {
            "brand_id": "brand-1",
            "labels": {"remove": 0, "keep": 0},
            "min_labels_per_kind": 20,
            "retrain_pending": False,
            "model": None,
        }

    async def test_a_trained_model_is_described(self, client, tenant, engine):
        lines = [f"Fizzbolt beats it {i},remove" for i in range(20)]
        lines += [f"lovely drink {i},keep" for i in range(25)]
        await client.post(
            "/v1/brands/brand-1/labels/import", content=csv_of("text,label", *lines), headers=CSV
        )
        assert (await client.get("/v1/brands/brand-1/model")).json()["retrain_pending"] is True

        version = await jobs.retrain_brand(
            create_sessionmaker(engine),
            tenant_id=tenant,
            brand_id="brand-1",
            classifier=Classifier(),
        )

        body = (await client.get("/v1/brands/brand-1/model")).json()
        assert version == 1
        assert body["retrain_pending"] is False
        model = body["model"]
        assert model["version"] == 1
        assert model["labels"] == {"remove": 20, "keep": 25}
        assert set(model["cross_validation"]) == {"folds", "precision", "recall", "f1", "roc_auc"}
        assert 0 < model["threshold"] < 1
        assert model["base_model_version"]
