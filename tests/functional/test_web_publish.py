"""The web chat's publisher (web/publish.py, the custom resource behind WebClient=enabled), on moto S3."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]


def load_publisher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webpublish", ROOT / "web" / "publish.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def publisher(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, list[dict[str, Any]]]]:
    module = load_publisher()
    answers: list[dict[str, Any]] = []
    monkeypatch.setattr(
        module,
        "respond",
        lambda event, status, physical_id, reason="", **data: answers.append(
            {"status": status, "id": physical_id, "reason": reason, **data}
        ),
    )
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="page")
        yield module, answers


def event(request_type: str, **properties: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/x",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "WebPublish",
        "ResourceProperties": {
            "Bucket": "page",
            "WebSocketUrl": "wss://abc.execute-api.us-east-1.amazonaws.com/prod",
            "PageUrl": "https://d111.cloudfront.net/",
            **properties,
        },
    }


def stored(key: str) -> dict[str, Any]:
    return boto3.client("s3", region_name="us-east-1").get_object(Bucket="page", Key=key)


def test_the_page_and_its_config_are_published_with_their_types(publisher) -> None:
    module, answers = publisher
    module.lambda_handler(
        event(
            "Create",
            CognitoDomain="https://twschat-1.auth.us-east-1.amazoncognito.com",
            ClientId="client-1",
        ),
        None,
    )
    [answer] = answers
    assert answer["status"] == "SUCCESS"
    page = {key for key, _, _ in module.page_files()}
    assert "index.html" in page and any(k.endswith(".js") for k in page)
    assert "publish.py" not in page  # the publisher ships with the page but is never part of it
    index = stored("index.html")
    assert index["ContentType"].startswith("text/html") and index["CacheControl"] == "no-cache"
    assert stored(next(k for k in page if k.endswith(".js")))["ContentType"].startswith("text/javascript")
    config = json.loads(stored("config.json")["Body"].read())
    assert config == {
        "websocketUrl": "wss://abc.execute-api.us-east-1.amazonaws.com/prod",
        "auth": {
            "mode": "cognito",
            "domain": "https://twschat-1.auth.us-east-1.amazoncognito.com",
            "clientId": "client-1",
            "redirectUri": "https://d111.cloudfront.net/",
            "logoutUri": "https://d111.cloudfront.net/",
            "scope": "openid",
        },
    }
    assert answer["Files"] == len(page) + 1


def test_without_cognito_the_page_goes_straight_in_and_delete_empties_the_bucket(publisher) -> None:
    module, answers = publisher
    module.lambda_handler(event("Create", CognitoDomain="", ClientId=""), None)
    assert json.loads(stored("config.json")["Body"].read())["auth"] == {"mode": "none"}
    module.lambda_handler({**event("Delete"), "PhysicalResourceId": "page/page"}, None)
    assert [a["status"] for a in answers] == ["SUCCESS", "SUCCESS"]
    assert answers[1]["id"] == "page/page"
    assert boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="page")["KeyCount"] == 0


def test_a_failure_is_reported_to_cloudformation_instead_of_leaving_it_waiting(publisher) -> None:
    module, answers = publisher
    module.lambda_handler(event("Create", Bucket="no-such-bucket"), None)
    [answer] = answers
    assert answer["status"] == "FAILED" and "NoSuchBucket" in answer["reason"]
