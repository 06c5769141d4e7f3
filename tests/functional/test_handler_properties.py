"""Every handler on arbitrary bodies and query strings: refused or answered, never an exception.

Each test sets up its handler once (moto's DynamoDB, a recording poster) and runs the Hypothesis
examples inside, so the examples share that state the way a warm Lambda execution environment does.
"""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional import test_authorizer, test_handlers
from tests.handlers import FakeContext, event, load_handler
from tests.unit.test_inbound_properties import bodies, texts
from twschat import runtime
from twschat.core.inbound import InputRejected, UserText, parse_frame
from twschat_dev.auth import mint_token

# The fixtures and helpers of the handler and authorizer tests, shared rather than copied.
env = test_handlers.env
authorizer = test_authorizer.authorizer
data_dir = test_authorizer.data_dir
jwks_url = test_authorizer.jwks_url
CONN, _connect, _say, _history_items = (
    test_handlers.CONN,
    test_handlers._connect,
    test_handlers._say,
    test_handlers._history_items,
)

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

huge = st.builds(
    lambda unit, n: unit * n, st.sampled_from(["a", "\ud800", "\u202e", "é"]), st.integers(1, 70_000)
)
query_values = st.one_of(
    st.none(),
    texts,
    huge,
    st.sampled_from(["tws-general", " TWS-General ", "c-3f6b2a9e1d4c4b7f", "x" * 64]),
    st.integers(),
)
queries = st.none() | st.dictionaries(
    st.sampled_from(["agent", "conversationId", "token"]) | texts, query_values, max_size=4
)
ANSWERS = {"ping": "pong", "history": "history", "conversations": "conversations"}
# What API Gateway never sends but a malformed event could hold: the body as another JSON type.
event_bodies = bodies | huge | st.integers() | st.dictionaries(texts, texts, max_size=2)


def _with(ev: dict[str, Any], body: object, query: object) -> dict[str, Any]:
    ev["body"] = body
    ev["queryStringParameters"] = query
    return ev


def _storage_counts(ddb) -> tuple[int, int]:
    return len(_history_items(ddb)), ddb.scan(TableName="audit")["Count"]


def test_default_rejections_are_error_frames_and_store_nothing(env, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "100000")  # the examples arrive faster than people
    runtime.reset()
    assert _connect()["statusCode"] == 200
    max_chars = runtime.settings().max_message_chars
    poster = env["poster"]

    @EXAMPLES
    @given(body=event_bodies, is_base64=st.booleans(), query=queries)
    def check(body: Any, is_base64: bool, query: Any) -> None:
        before, stored_before = len(poster.frames), _storage_counts(env["ddb"])
        message_id = f"p-{uuid.uuid4().hex}"
        response = _say(
            body, message_id, 1_795_608_005_000, isBase64Encoded=is_base64, queryStringParameters=query
        )
        sent = poster.sent(CONN)[before:]
        if not isinstance(body, str | None):
            # A body that is not a string is a malformed event: refused before anything runs.
            assert response["statusCode"] == 400 and sent == []
            assert _storage_counts(env["ddb"]) == stored_before
            return
        assert response["statusCode"] == 200
        expected = parse_frame(body, is_base64=is_base64, max_chars=max_chars)
        if isinstance(expected, InputRejected):
            [error] = sent
            assert error["type"] == "error" and error["code"] == expected.code
            assert error["inReplyTo"] == message_id and error["message"]
            assert _storage_counts(env["ddb"]) == stored_before
        else:
            # Answered; or refused later on (rate limit, storage): then also as an error frame.
            answer = "message" if isinstance(expected, UserText) else ANSWERS[expected.request_type]
            assert sent and sent[-1]["type"] in (answer, "error")

    check()
    assert _say("quais jobs estão em abend?", "good-1", 1_795_608_999_000)["statusCode"] == 200
    assert poster.sent(CONN)[-1]["type"] == "message"


def test_connect_answers_a_status_for_any_query_string(env):
    handler = load_handler("connect")

    @EXAMPLES
    @given(query=queries, body=event_bodies)
    def check(query: Any, body: Any) -> None:
        response = handler.lambda_handler(_with(event("connect"), body, query), FakeContext())
        assert response["statusCode"] in (200, 400, 401, 403)
        if response["statusCode"] != 200:
            assert response["body"]

    check()


def test_disconnect_welcome_and_sweeper_take_any_body_and_query_string(env, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    monkeypatch.setattr(runtime, "sweeper_poster", lambda: env["poster"])
    assert _connect()["statusCode"] == 200
    handlers = {name: load_handler(name) for name in ("welcome", "disconnect", "sweeper")}

    @EXAMPLES
    @given(name=st.sampled_from(sorted(handlers)), query=queries, body=event_bodies)
    def check(name: str, query: Any, body: Any) -> None:
        ev = {"detail-type": "Scheduled Event", "source": "aws.events"} if name == "sweeper" else event(name)
        response = handlers[name].lambda_handler(_with(ev, body, query), FakeContext())
        assert response["statusCode"] in (200, 400, 410)

    check()


def _authorize(handler: ModuleType, ev: dict[str, Any]) -> dict[str, Any] | None:
    """The Allow policy, or None when refused the one way API Gateway turns into 401."""
    try:
        return handler.lambda_handler(ev, FakeContext())
    except Exception as exc:
        assert type(exc) is Exception and str(exc) == "Unauthorized", repr(exc)
        return None


def test_the_authorizer_allows_or_says_unauthorized_and_nothing_else(authorizer, data_dir) -> None:
    valid = mint_token(data_dir, user="ana", roles=["operator"])
    junk = texts | huge
    tokens = st.one_of(st.none(), junk, st.just(valid), st.builds(lambda t: valid + t, junk))

    @EXAMPLES
    @given(query=queries, token=tokens, header=st.none() | junk, body=event_bodies)
    def check(query: Any, token: str | None, header: str | None, body: Any) -> None:
        ev = _with(event("authorizer"), body, query)
        if isinstance(query, dict):
            query.pop("token", None)
            if token is not None:
                query["token"] = token
        if header is not None:
            ev["headers"]["Authorization"] = header
        policy = _authorize(authorizer, ev)
        if policy is not None:
            assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
            assert policy["context"]["userId"]

    check()


@pytest.mark.parametrize("where", ["header", "query"])
def test_a_token_with_a_lone_surrogate_is_unauthorized(authorizer, where) -> None:
    # PyJWT raised UnicodeEncodeError on it: a Lambda error (500) instead of a 401.
    ev = event("authorizer")
    if where == "header":
        ev["headers"]["Authorization"] = "Bearer \ud800"
    else:
        ev["queryStringParameters"]["token"] = "\ud800"
    assert _authorize(authorizer, ev) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"message": "\\ud800"}', "invalid_text"),
        ("qual job \ud800 esta em abend?", "invalid_text"),
        ("[" * 15000 + "]" * 15000, "not_an_object"),
        ('{"message": ' + "[" * 10_000 + "]" * 10_000 + "}", "invalid_json"),
        ("\u200b\u200c\u200d\ufeff\u2060", "empty_message"),
        ("rerun JOB002 \u202e3B0J", "control_characters"),
        ("\u2066JOB002\u2069", "control_characters"),
    ],
)
def test_the_four_reproductions_get_their_code_and_the_chat_goes_on(env, body, code):
    _connect()
    assert _say(body, "bad-1", 1_795_608_005_000)["statusCode"] == 200
    [error] = env["poster"].sent(CONN)
    assert error["type"] == "error" and error["code"] == code and error["inReplyTo"] == "bad-1"
    assert _history_items(env["ddb"]) == []
    _say('{"type": "ping"}', "ping-1", 1_795_608_006_000)
    assert env["poster"].sent(CONN)[-1]["type"] == "pong"
    _say("quais jobs estão em abend?", "good-1", 1_795_608_007_000)
    assert env["poster"].sent(CONN)[-1]["type"] == "message"
