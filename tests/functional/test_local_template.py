"""The local gateway's reading of SAM templates: route map, functions, environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twschat_dev.template import (
    LocalApp,
    Resolver,
    TemplateError,
    load_template,
    local_environment,
    local_table_name,
    read_app,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FIXTURE = Path(__file__).parent / "fixtures" / "local_app" / "template.yaml"


@pytest.fixture(scope="module")
def app() -> LocalApp:
    if not TEMPLATE.exists():
        pytest.skip("template.yaml not written yet")
    return read_app(TEMPLATE)


@pytest.fixture(scope="module")
def fixture_app() -> LocalApp:
    return read_app(FIXTURE)


def test_short_tags_load_as_plain_data() -> None:
    data = load_template(FIXTURE)
    props = data["Resources"]["ConnectRoute"]["Properties"]
    assert props["Target"] == {"Fn::Sub": "integrations/${GateIntegration}"}
    assert data["Resources"]["BoomIntegration"]["Properties"]["IntegrationUri"]["Fn::Join"][1][1] == {
        "Fn::GetAtt": ["BoomFunction", "Arn"]
    }
    assert data["Conditions"]["IsDemo"] == {"Fn::Equals": [{"Ref": "Mode"}, "demo"]}


def test_real_template_routes(app: LocalApp) -> None:
    assert {key: r.function for key, r in app.routes.items()} == {
        "$connect": "ConnectFunction",
        "$default": "DefaultFunction",
        "$disconnect": "DisconnectFunction",
    }
    assert app.routes["$connect"].integration == "ConnectIntegration"
    assert not any(r.returns_response for r in app.routes.values())
    assert "WelcomeFunction" in app.functions  # not a route, but invocable
    assert "WelcomeFunction" not in {r.function for r in app.routes.values()}
    assert app.warnings == ()


def test_real_template_functions(app: LocalApp) -> None:
    for name, folder in [
        ("ConnectFunction", "connect"),
        ("DefaultFunction", "default"),
        ("DisconnectFunction", "disconnect"),
        ("WelcomeFunction", "welcome"),
    ]:
        spec = app.functions[name]
        assert spec.code_dir == ROOT / "functions" / folder
        assert spec.module_file == ROOT / "functions" / folder / "app.py"
        assert spec.function_name == "lambda_handler"
    assert app.functions["DefaultFunction"].timeout == 29  # own Timeout beats Globals
    assert app.functions["ConnectFunction"].timeout == 10


def test_real_template_environment(app: LocalApp, tmp_path: Path) -> None:
    env, store = local_environment(app, api_port=9031, stage="local", data_dir=tmp_path, base={})
    assert env["CONNECTIONS_TABLE"] == "twschat-connections"
    assert env["HISTORY_TABLE"] == "twschat-history"
    assert env["WELCOME_FUNCTION_NAME"] == "WelcomeFunction"
    if "AuditTable" in app.tables:
        assert env["AUDIT_TABLE"] == "twschat-audit"
    assert env["HISTORY_WINDOW"] == "20"  # !Ref parameter -> its Default
    assert env["TWS_MODE"] == "demo"
    assert env["TWS_SECRET_ARN"] == ""
    assert env["CONNECTIONS_API_URL"] == "http://127.0.0.1:9031/local"
    assert env["AWS_ENDPOINT_URL_LAMBDA"] == "http://127.0.0.1:9031"
    assert env["STORE_BACKEND"] == "sqlite"
    assert env["SQLITE_PATH"] == str(tmp_path.resolve() / "twschat.db")
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert env["POWERTOOLS_METRICS_DISABLED"] == "true"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert store.backend == "sqlite"


def test_dynamodb_store_and_existing_credentials(app: LocalApp) -> None:
    base = {"AWS_ACCESS_KEY_ID": "mine", "AWS_SECRET_ACCESS_KEY": "mine", "AWS_DEFAULT_REGION": "eu-west-1"}
    env, store = local_environment(
        app, api_port=1, stage="dev", dynamodb_endpoint="http://127.0.0.1:8000", verbose=True, base=base
    )
    assert env["STORE_BACKEND"] == "dynamodb"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:8000"
    assert "SQLITE_PATH" not in env
    assert env["POWERTOOLS_METRICS_DISABLED"] == "false"
    assert env["CONNECTIONS_API_URL"] == "http://127.0.0.1:1/dev"
    for key in base:  # a developer's own settings are kept
        assert key not in env
    assert store.dynamodb_endpoint == "http://127.0.0.1:8000"


def test_fixture_route_chain_follows_sub_join_and_getatt(fixture_app: LocalApp) -> None:
    routes = {key: r.function for key, r in fixture_app.routes.items()}
    assert routes == {
        "$connect": "GateFunction",
        "$default": "EchoFunction",
        "$disconnect": "EchoFunction",
        "boom": "BoomFunction",
        "reply": "EchoFunction",
    }
    assert fixture_app.routes["reply"].returns_response
    assert fixture_app.route_selection_expression == "$request.body.action"


def test_fixture_environment_resolution(fixture_app: LocalApp) -> None:
    echo = fixture_app.functions["EchoFunction"].environment
    assert echo["CONNECTIONS_TABLE"] == "twschat-connections"
    assert echo["AUDIT_TABLE"] == "twschat-auditlog"
    assert echo["WINDOW"] == "7"
    assert echo["LITERAL"] == "plain"
    assert echo["QUOTED_NUMBER"] == "10800"
    assert echo["SUBBED"] == "us-east-1/prod/arn:aws:lambda:us-east-1:123456789012:function:EchoFunction"
    assert echo["CHOSEN"] == "demo-on"
    assert echo["JOINED"] == "a-demo-b"
    assert echo["SELECTED"] == "y"
    assert "DROPPED" not in echo  # !Ref AWS::NoValue
    assert "TARGET_FUNCTION_NAME" not in echo
    assert fixture_app.functions["GateFunction"].environment["TARGET_FUNCTION_NAME"] == "EchoFunction"
    assert fixture_app.environment()["TARGET_FUNCTION_NAME"] == "EchoFunction"  # union, process-wide
    assert fixture_app.functions["EchoFunction"].timeout == 29
    assert fixture_app.functions["EchoFunction"].memory_size == 256
    assert fixture_app.functions["GateFunction"].timeout == 5


def test_parameter_overrides_and_conditions() -> None:
    app = read_app(FIXTURE, parameter_overrides={"Mode": "rest", "Window": "3"})
    env = app.functions["EchoFunction"].environment
    assert env["CHOSEN"] == "demo-off"
    assert env["DROPPED"] == "kept"
    assert env["WINDOW"] == "3"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("connect", "GateFunction"),
        ("$connect", "GateFunction"),
        ("default", "EchoFunction"),
        ("boom", "BoomFunction"),
        ("EchoFunction", "EchoFunction"),
        ("gate", "GateFunction"),
        ("arn:aws:lambda:us-east-1:123456789012:function:EchoFunction", "EchoFunction"),
    ],
)
def test_resolve_function_names(fixture_app: LocalApp, name: str, expected: str) -> None:
    spec = fixture_app.resolve_function(name)
    assert spec is not None and spec.logical_id == expected


def test_resolve_welcome_in_real_template(app: LocalApp) -> None:
    spec = app.resolve_function("welcome")
    assert spec is not None and spec.logical_id == "WelcomeFunction"
    assert app.resolve_function("nope") is None


def test_local_table_names() -> None:
    assert local_table_name("ConnectionsTable") == "twschat-connections"
    assert local_table_name("HistoryTable") == "twschat-history"
    assert local_table_name("Sessions") == "twschat-sessions"


def test_missing_or_bad_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not found"):
        read_app(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [1, 2\n")
    with pytest.raises(TemplateError, match="invalid YAML"):
        read_app(bad)
    no_api = tmp_path / "no_api.yaml"
    no_api.write_text("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n")
    with pytest.raises(TemplateError, match="WEBSOCKET"):
        read_app(no_api)


# The Powertools layer's publisher account and the shape of the ARN its SSM parameters hold
# (aws-powertools/powertools-lambda-python, .github/workflows/update_ssm.yml).
POWERTOOLS_ACCOUNT = "017000801446"


def _powertools_layer(template: dict[str, Any], overrides: dict[str, str]) -> str:
    layers = Resolver(template, parameter_overrides=overrides).resolve(
        template["Globals"]["Function"]["Layers"]
    )
    assert layers[0] == "SharedLayer"
    (powertools,) = layers[1:]
    return str(powertools)


def _published_layer_arn(template: dict[str, Any], number: int) -> tuple[str, str]:
    """The SSM path of the functions' runtime and architecture, and a layer ARN of the shape it holds."""
    globals_fn = template["Globals"]["Function"]
    runtime, (architecture,) = globals_fn["Runtime"], globals_fn["Architectures"]
    path = f"/aws/service/powertools/python/{architecture}/{runtime}/latest"
    name = f"AWSLambdaPowertoolsPythonV3-{runtime.replace('.', '')}-{architecture}"
    return path, f"arn:aws:lambda:us-east-1:{POWERTOOLS_ACCOUNT}:layer:{name}:{number}"


def test_powertools_layer_arn_comes_from_aws_public_ssm_parameter() -> None:
    template = load_template(TEMPLATE)
    latest_path, published = _published_layer_arn(template, 41)
    parameter = template["Parameters"]["PowertoolsLayerParameter"]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    # The path names the functions' own architecture and runtime, so the layer always fits them.
    assert parameter["Default"] == latest_path
    # CloudFormation replaces the parameter by the ARN the SSM parameter holds; every function gets it.
    assert _powertools_layer(template, {"PowertoolsLayerParameter": published}) == published


def test_powertools_layer_version_still_pins_a_layer_number() -> None:
    template = load_template(TEMPLATE)
    _, pinned = _published_layer_arn(template, 37)
    assert template["Parameters"]["PowertoolsLayerVersion"]["Default"] == ""
    overrides = {"PowertoolsLayerVersion": "37", "PowertoolsLayerParameter": "unused"}
    assert _powertools_layer(template, overrides) == pinned
