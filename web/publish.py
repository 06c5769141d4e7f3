"""Publishes the chat page to its S3 bucket: the CloudFormation custom resource behind WebClient=enabled.

It lives beside the page because it ships with it: the function's code package is this folder, so
what it uploads is exactly the page in the repository at deploy time, and ``config.json`` (the
WebSocket URL and the sign-in settings) is written from the stack's own values — nothing to copy by
hand after ``sam deploy``. On Delete it empties the bucket, so the stack can remove it. It is never
served: the page's hosts serve only the page's file types.

Standard library and boto3 only (the Lambda runtime has both); no Powertools, no layer code.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger("twschat.webpublish")
logger.setLevel(logging.INFO)

HERE = Path(__file__).resolve().parent
# The page's file types; anything else in this folder (this module) is not part of the page.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# CloudFront revalidates every file: a redeploy shows at once, and files are small.
CACHE_CONTROL = "no-cache"
CONFIG_KEY = "config.json"


def page_files(root: Path = HERE) -> Iterator[tuple[str, Path, str]]:
    """(S3 key, file, content type) of every file of the page; hidden files are never published."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(part.startswith((".", "_")) for part in relative.parts):
            continue
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type and relative.as_posix() != CONFIG_KEY:
            yield relative.as_posix(), path, content_type


def page_config(properties: Mapping[str, Any]) -> dict[str, Any]:
    """``config.json`` from the custom resource's properties (see web/js/auth.js for the reader)."""
    config: dict[str, Any] = {"websocketUrl": str(properties["WebSocketUrl"])}
    domain = str(properties.get("CognitoDomain") or "")
    if domain:
        page_url = str(properties["PageUrl"])
        config["auth"] = {
            "mode": "cognito",
            "domain": domain,
            "clientId": str(properties["ClientId"]),
            "redirectUri": page_url,
            "logoutUri": page_url,
            "scope": "openid",
        }
    else:
        config["auth"] = {"mode": "none"}
    return config


def publish(s3: Any, bucket: str, properties: Mapping[str, Any], root: Path = HERE) -> int:
    count = 0
    for key, path, content_type in page_files(root):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )
        count += 1
    s3.put_object(
        Bucket=bucket,
        Key=CONFIG_KEY,
        Body=json.dumps(page_config(properties), indent=1).encode("utf-8"),
        ContentType="application/json",
        CacheControl=CACHE_CONTROL,
    )
    return count + 1


def empty(s3: Any, bucket: str) -> int:
    removed = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            removed += len(keys)
    return removed


def respond(event: Mapping[str, Any], status: str, physical_id: str, reason: str = "", **data: Any) -> None:
    """Tell CloudFormation how it went (a pre-signed PUT; it waits up to an hour otherwise)."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"see the function's log stream ({status})",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode("utf-8")
    request = urllib.request.Request(  # CloudFormation's pre-signed https URL
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def lambda_handler(event: Mapping[str, Any], context: Any, *, s3: Any = None) -> None:
    properties = event.get("ResourceProperties") or {}
    bucket = str(properties.get("Bucket", ""))
    physical_id = str(event.get("PhysicalResourceId") or f"{bucket}/page")
    try:
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        if event["RequestType"] in ("Create", "Update"):
            files = publish(s3, bucket, properties)
            logger.info("page published", extra={"bucket": bucket, "files": files})
            respond(event, "SUCCESS", physical_id, Files=files)
        else:
            removed = empty(s3, bucket)
            logger.info("page removed", extra={"bucket": bucket, "files": removed})
            respond(event, "SUCCESS", physical_id, Files=removed)
    except Exception as exc:  # never leave the stack waiting for an answer
        logger.exception("page publishing failed")
        respond(event, "FAILED", physical_id, reason=f"{type(exc).__name__}: {exc}"[:500])
