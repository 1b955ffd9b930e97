"""The S3 photo store against a real S3-compatible server on loopback (moto's server mode,
spoken to over HTTP by boto3): the form's photos land in the bucket, the admin's signed
address serves them back, and a redaction deletes them from the bucket."""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from app.main import create_app
from app.settings import Settings
from tests.reviews.conftest import fulfilled_order, photo_bytes, photos, products, review_path
from tests.scenarios.conftest import SHOP, Store
from tests.support.fixtures import fixture_json

BUCKET = "review-photos"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def settings(settings: Settings, s3_endpoint: str) -> Settings:
    return settings.model_copy(
        update={
            "review_photo_store": "s3",
            "review_s3_bucket": BUCKET,
            "review_s3_endpoint_url": s3_endpoint,
            "review_s3_access_key_id": SecretStr("test"),
            "review_s3_secret_access_key": SecretStr("test"),
        }
    )


@pytest.fixture
async def app(settings: Settings, simulator: tuple[Any, Any]) -> Any:
    application: FastAPI = create_app(
        settings, http_transport=httpx.ASGITransport(app=simulator[0])
    )
    async with application.router.lifespan_context(application):
        yield application


def bucket_keys(endpoint: str) -> list[str]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    listed = client.list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listed.get("Contents", [])]


async def test_photos_go_to_the_bucket_and_come_back(store: Store, s3_endpoint: str) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    sent = await store.client.post(
        await review_path(store, order),
        data={"product": str(kettle.id), "rating": "5"},
        files=[("photos", ("p.webp", photo_bytes("WEBP"), "image/webp"))],
    )
    assert sent.status_code == 200, sent.text
    (photo,) = await photos(store)
    assert bucket_keys(s3_endpoint) == [photo.storage_key]
    assert not (store.settings.data_dir / "review-photos").exists()

    listed = await store.client.get("/api/reviews", headers=store.headers)
    address = listed.json()[0]["photos"][0].removeprefix("http://testserver")
    served = await store.client.get(address)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.content[:4] == b"RIFF"

    redact = copy.deepcopy(fixture_json("customers/redact"))
    redact["shop_domain"] = SHOP
    redact["customer"].update(id=order["customer"]["id"], email=order["email"])
    redact["orders_to_redact"] = [order["id"]]
    await store.deliver("customers/redact", redact)
    await store.work(horizon=0.5)
    assert bucket_keys(s3_endpoint) == []


async def test_shop_redaction_deletes_the_shops_photos_from_the_bucket(
    store: Store, s3_endpoint: str
) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    sent = await store.client.post(
        await review_path(store, order),
        data={"product": str(kettle.id), "rating": "5"},
        files=[("photos", ("p.webp", photo_bytes("WEBP"), "image/webp"))],
    )
    assert sent.status_code == 200, sent.text
    neighbour = f"{store.shop.id}0/1/1/kept.webp"  # another shop's, sharing the id's digits
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).put_object(Bucket=BUCKET, Key=neighbour, Body=b"x")
    assert len(bucket_keys(s3_endpoint)) == 2

    await store.deliver("app/uninstalled", fixture_json("app/uninstalled"))
    await store.work(horizon=0.5)  # shop/redact comes 48 hours after
    redact = copy.deepcopy(fixture_json("shop/redact"))
    redact["shop_domain"] = SHOP
    await store.deliver("shop/redact", redact)
    await store.work(horizon=0.5)
    assert bucket_keys(s3_endpoint) == [neighbour]
