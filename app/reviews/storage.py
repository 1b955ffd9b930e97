"""Where review photos' bytes live: a directory on local disk (under DATA_DIR by default) or
any S3-compatible store (boto3; its blocking calls run in a thread). Both take a key and
bytes and give them back; the database holds the keys (app/models/reviews.py)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any, Protocol

from app.settings import Settings

_KEY = re.compile(r"^[a-z0-9/._-]{1,255}$")


class PhotoStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every photo whose key starts with `prefix` (a folder: `{shop_id}/`);
        how many were deleted."""
        ...


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key or key.startswith("/"):
        raise ValueError(f"not a photo key: {key!r}")
    return key


def _checked_prefix(prefix: str) -> str:
    """A folder of keys (`12/`): never the whole store, never a part of a name (`1` would
    take shop 12's photos too)."""
    if not prefix.endswith("/") or prefix.strip("/") == "":
        raise ValueError(f"not a photo folder: {prefix!r}")
    return _checked(prefix)


class LocalPhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def delete_prefix(self, prefix: str) -> int:
        folder = self.root / _checked_prefix(prefix)

        def remove() -> int:
            if not folder.is_dir():
                return 0
            files = sum(1 for path in folder.rglob("*") if path.is_file())
            shutil.rmtree(folder, ignore_errors=True)
            return files

        return await asyncio.to_thread(remove)


class S3PhotoStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=_checked(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=_checked(key))
            except self.client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=_checked(key))

    async def delete_prefix(self, prefix: str) -> int:
        checked = _checked_prefix(prefix)

        def remove() -> int:
            deleted = 0
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=checked
            )
            for page in pages:  # at most 1,000 keys a page, delete_objects' own maximum
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    deleted += len(keys)
            return deleted

        return await asyncio.to_thread(remove)


def photo_store(settings: Settings) -> PhotoStore:
    """The store the settings name (built once per process: a boto3 client is not free)."""
    if settings.review_photo_store == "s3":
        import boto3  # type: ignore[import-untyped]  # only processes configured for S3

        secret = settings.review_s3_secret_access_key
        key_id = settings.review_s3_access_key_id
        client = boto3.client(
            "s3",
            endpoint_url=settings.review_s3_endpoint_url,
            region_name=settings.review_s3_region,
            aws_access_key_id=key_id.get_secret_value() if key_id else None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
        )
        return S3PhotoStore(client, settings.review_s3_bucket)
    return LocalPhotoStore(settings.data_dir / "review-photos")
