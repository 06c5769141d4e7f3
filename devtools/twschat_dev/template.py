"""Read ``template.yaml`` the way the local gateway needs it: routes, functions, environment.

The SAM template is the single source of truth: the route map follows ``AWS::ApiGatewayV2::Route``
``Target`` -> ``AWS::ApiGatewayV2::Integration`` ``IntegrationUri`` -> ``AWS::Serverless::Function``
through the logical ids named in ``!Sub``/``!Ref``/``!GetAtt``; the environment is Globals plus each
function's variables, with ``!Ref`` resolved to parameter defaults and to local resource names.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("twschat-local")

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """The template cannot be used by the local gateway (missing, malformed, unresolvable)."""


# ---------------------------------------------------------------------------------------- YAML loading


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into their long JSON form (plain data)."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - YAML has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML (or JSON) template; short tags become ``{"Fn::X": ...}``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{p} not found: run from the project root or pass --template") from None
    try:
        data = yaml.load(text, Loader=CfnLoader)  # CfnLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise TemplateError(f"{p}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError(f"{p}: not a CloudFormation template (no Resources)")
    return data


def local_table_name(logical_id: str) -> str:
    """``ConnectionsTable`` -> ``twschat-connections``; ``Foo`` -> ``twschat-foo``."""
    base = (
        logical_id[: -len("Table")] if logical_id.endswith("Table") and logical_id != "Table" else logical_id
    )
    return f"twschat-{base.lower()}"


# ---------------------------------------------------------------------------------------- resolution

_NO_VALUE = object()


class _Unresolvable(Exception):
    pass


class Resolver:
    """Evaluates the intrinsic functions a development environment needs, with local values."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        region: str = DEFAULT_REGION,
        parameter_overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.region = region
        self.resources: Mapping[str, Any] = template.get("Resources") or {}
        self.parameters: Mapping[str, Any] = template.get("Parameters") or {}
        self.conditions: Mapping[str, Any] = template.get("Conditions") or {}
        self.mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self.overrides = dict(parameter_overrides or {})

    def resource_type(self, logical_id: str) -> str:
        res = self.resources.get(logical_id)
        return str(res.get("Type", "")) if isinstance(res, dict) else ""

    # -- Ref / GetAtt
    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "twschat-local",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/twschat-local/local",
            "AWS::NotificationARNs": [],
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            if name in self.overrides:
                return self.overrides[name]
            param = self.parameters[name] or {}
            if "Default" not in param:
                raise _Unresolvable(f"parameter {name} has no Default")
            return _scalar_text(param["Default"])
        rtype = self.resource_type(name)
        if rtype in TABLE_TYPES:
            return local_table_name(name)
        if rtype == "AWS::ApiGatewayV2::Api":
            return "local"
        if rtype:
            return name  # functions and everything else: the logical id is the local name
        raise _Unresolvable(f"!Ref {name}: no such parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        rtype = self.resource_type(logical_id)
        if not rtype:
            raise _Unresolvable(f"!GetAtt {logical_id}.{attribute}: no such resource")
        if attribute == "Arn":
            if rtype in FUNCTION_TYPES:
                return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{logical_id}"
            if rtype in TABLE_TYPES:
                return f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{local_table_name(logical_id)}"
            return f"arn:aws:local:{self.region}:{ACCOUNT_ID}:{logical_id}"
        raise _Unresolvable(f"!GetAtt {logical_id}.{attribute} has no local value")

    # -- conditions
    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise _Unresolvable(f"condition {name} is not defined")
        return self._truth(self.conditions[name])

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return _scalar_text(a) == _scalar_text(b)
            if key == "Fn::Not":
                return not self._truth(arg[0])
            if key == "Fn::And":
                return all(self._truth(x) for x in arg)
            if key == "Fn::Or":
                return any(self._truth(x) for x in arg)
            if key == "Condition":
                return self.condition(arg)
        resolved = self.resolve(value)
        return _scalar_text(resolved).lower() == "true"

    # -- everything
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
                return self.get_att(str(parts[0]), str(self.resolve(parts[1])))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                delimiter, items = arg
                return str(delimiter).join(_scalar_text(x) for x in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                delimiter, text = arg
                return _scalar_text(self.resolve(text)).split(str(delimiter))
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
                return self._truth(value)
            if key == "Fn::FindInMap":
                m, k1, k2 = (_scalar_text(self.resolve(x)) for x in arg)
                try:
                    return self.mappings[m][k1][k2]
                except KeyError:
                    raise _Unresolvable(f"!FindInMap [{m}, {k1}, {k2}] not found") from None
            if key.startswith("Fn::"):
                raise _Unresolvable(f"{key} is not supported locally")
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not _NO_VALUE}

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _scalar_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _scalar_text(self.get_att(logical_id, attribute))
            return _scalar_text(self.ref(name))

        return _SUB_VAR.sub(replace, str(text))


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar_text(v) for v in value)
    return "" if value is None else str(value)


def referenced_ids(value: Any) -> Iterator[str]:
    """Logical ids a (raw, unresolved) value mentions through Ref, GetAtt or ``${X}``/``${X.Attr}``."""
    if isinstance(value, list):
        for item in value:
            yield from referenced_ids(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                yield arg
            elif key == "Fn::GetAtt":
                yield str(arg.split(".", 1)[0] if isinstance(arg, str) else arg[0])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                for name in _SUB_VAR.findall(str(text)):
                    if not name.startswith("!"):
                        yield name.split(".", 1)[0]
                if isinstance(arg, list) and len(arg) > 1:
                    yield from referenced_ids(arg[1])
            else:
                yield from referenced_ids(arg)


# ---------------------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    schedule_seconds: float | None = None
    """Set when the function has a ``Schedule`` event (``rate(...)``): the gateway runs it that often."""

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def function_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class Route:
    route_key: str
    function: str
    integration: str
    returns_response: bool = False
    """The route has a RouteResponseSelectionExpression: the integration's body goes back to the client."""


@dataclass(frozen=True, slots=True)
class LocalApp:
    template_path: Path
    functions: Mapping[str, FunctionSpec]
    routes: Mapping[str, Route]
    tables: Mapping[str, str]
    """Table logical id -> local table name."""
    route_selection_expression: str = "$request.body.action"
    warnings: tuple[str, ...] = ()
    connect_authorizer: str | None = None
    """The function of the template's REQUEST authorizer (run before $connect with ``--auth local``)."""

    def environment(self) -> dict[str, str]:
        """One process runs every function: the union of their variables (a conflict is logged)."""
        env: dict[str, str] = {}
        for spec in self.functions.values():
            for key, value in spec.environment.items():
                if key in env and env[key] != value:
                    log.warning(
                        "%s: %s=%r differs from another function's %r; using %r",
                        spec.logical_id,
                        key,
                        value,
                        env[key],
                        env[key],
                    )
                    continue
                env[key] = value
        return env

    def resolve_function(self, name: str) -> FunctionSpec | None:
        """A route key (``$connect``, ``connect``), logical id, short name (``welcome``), ARN or dir name."""
        if name.startswith("arn:"):
            name = name.split(":function:", 1)[-1].split(":", 1)[0]
        for key in (name, f"${name}"):
            if key in self.routes:
                return self.functions.get(self.routes[key].function)
        if name in self.functions:
            return self.functions[name]
        wanted = name.lower()
        for spec in self.functions.values():
            lid = spec.logical_id.lower()
            if wanted in (lid, lid.removesuffix("function"), spec.code_dir.name.lower()):
                return spec
        return None

    def function_choices(self) -> list[str]:
        short = [key.lstrip("$") for key in self.routes]
        others = [
            spec.logical_id.removesuffix("Function").lower()
            for spec in self.functions.values()
            if spec.logical_id not in {r.function for r in self.routes.values()}
        ]
        return short + others


def read_app(
    path: str | Path = "template.yaml",
    *,
    region: str | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
) -> LocalApp:
    """Build the local model of the WebSocket API declared in a SAM template."""
    template_path = Path(path).resolve()
    template = load_template(template_path)
    resolver = Resolver(
        template,
        region=region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION,
        parameter_overrides=parameter_overrides,
    )
    warnings: list[str] = []
    resources: Mapping[str, Any] = template["Resources"]
    globals_fn: Mapping[str, Any] = (template.get("Globals") or {}).get("Function") or {}

    functions: dict[str, FunctionSpec] = {}
    for lid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") not in FUNCTION_TYPES:
            continue
        spec = _function_spec(lid, res, globals_fn, resolver, template_path.parent, warnings)
        if spec is not None:
            functions[lid] = spec

    tables = {
        lid: local_table_name(lid)
        for lid, res in resources.items()
        if isinstance(res, dict) and res.get("Type") in TABLE_TYPES
    }

    apis = [
        lid
        for lid, res in resources.items()
        if isinstance(res, dict)
        and res.get("Type") == "AWS::ApiGatewayV2::Api"
        and (res.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        raise TemplateError(f"{template_path}: no AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET")
    api_id = apis[0]
    if len(apis) > 1:
        warnings.append(f"several WebSocket APIs; serving {api_id}")
    api_props = resources[api_id].get("Properties") or {}
    selection = str(api_props.get("RouteSelectionExpression") or "$request.body.action")

    routes: dict[str, Route] = {}
    for lid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = res.get("Properties") or {}
        if len(apis) > 1 and api_id not in set(referenced_ids(props.get("ApiId"))):
            continue
        route_key = str(props.get("RouteKey", ""))
        integration = _first_of_type(
            referenced_ids(props.get("Target")), resolver, ("AWS::ApiGatewayV2::Integration",)
        )
        if integration is None:
            warnings.append(f"route {route_key} ({lid}): Target names no integration; not served")
            continue
        uri = (resources[integration].get("Properties") or {}).get("IntegrationUri")
        function = _first_of_type(referenced_ids(uri), resolver, FUNCTION_TYPES)
        if function is None and isinstance(uri, str) and ":function:" in uri:
            function = uri.split(":function:", 1)[1].split("/", 1)[0].split(":", 1)[0]
        if function is None or function not in functions:
            warnings.append(f"route {route_key} ({lid}): integration {integration} has no local function")
            continue
        routes[route_key] = Route(
            route_key=route_key,
            function=function,
            integration=integration,
            returns_response=bool(props.get("RouteResponseSelectionExpression")),
        )
    for message in warnings:
        log.warning("%s: %s", template_path.name, message)
    return LocalApp(
        template_path=template_path,
        functions=functions,
        routes=routes,
        tables=tables,
        route_selection_expression=selection,
        warnings=tuple(warnings),
        connect_authorizer=_authorizer_function(resources, functions),
    )


def _authorizer_function(resources: Mapping[str, Any], functions: Mapping[str, FunctionSpec]) -> str | None:
    for res in resources.values():
        if not isinstance(res, Mapping) or res.get("Type") != "AWS::ApiGatewayV2::Authorizer":
            continue
        uri = str((res.get("Properties") or {}).get("AuthorizerUri", ""))
        for lid in re.findall(r"\$\{(\w+)\.Arn\}", uri):
            if lid in functions:
                return str(lid)
    return None


def _first_of_type(ids: Iterator[str], resolver: Resolver, types: tuple[str, ...]) -> str | None:
    return next((i for i in ids if resolver.resource_type(i) in types), None)


def _function_spec(
    lid: str,
    res: Mapping[str, Any],
    globals_fn: Mapping[str, Any],
    resolver: Resolver,
    base_dir: Path,
    warnings: list[str],
) -> FunctionSpec | None:
    props: dict[str, Any] = dict(res.get("Properties") or {})
    is_sam = res.get("Type") == "AWS::Serverless::Function"
    merged: dict[str, Any] = {**globals_fn, **props} if is_sam else props
    code_uri = merged.get("CodeUri") if is_sam else (merged.get("Code") or {}).get("ZipFile")
    handler = merged.get("Handler")
    runtime = str(merged.get("Runtime", "python"))
    if not isinstance(code_uri, str) or not isinstance(handler, str) or not runtime.startswith("python"):
        warnings.append(f"{lid}: not a local Python function (CodeUri/Handler/Runtime); skipped")
        return None
    variables: dict[str, Any] = {}
    if is_sam:
        variables.update(((globals_fn.get("Environment") or {}).get("Variables")) or {})
    variables.update(((props.get("Environment") or {}).get("Variables")) or {})
    env: dict[str, str] = {}
    for key, raw in variables.items():
        try:
            value = resolver.resolve(raw)
        except (_Unresolvable, TypeError, ValueError, IndexError) as exc:
            warnings.append(f"{lid}: environment variable {key} not set locally ({exc})")
            continue
        if value is not _NO_VALUE:
            env[str(key)] = _scalar_text(value)
    return FunctionSpec(
        logical_id=lid,
        code_dir=(base_dir / code_uri).resolve(),
        handler=handler,
        timeout=int(_scalar_text(resolver.resolve(merged.get("Timeout", 3))) or 3),
        memory_size=int(_scalar_text(resolver.resolve(merged.get("MemorySize", 128))) or 128),
        environment=env,
        schedule_seconds=_schedule_seconds(lid, props.get("Events") or {}, resolver, warnings),
    )


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_RATE_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def _schedule_seconds(
    lid: str, events: Mapping[str, Any], resolver: Resolver, warnings: list[str]
) -> float | None:
    for name, spec in events.items():
        if not isinstance(spec, Mapping) or spec.get("Type") not in ("Schedule", "ScheduleV2"):
            continue
        props = spec.get("Properties") or {}
        expression = _scalar_text(
            resolver.resolve(props.get("Schedule") or props.get("ScheduleExpression") or "")
        )
        match = _RATE.match(expression.strip())
        if match is None:
            warnings.append(f"{lid}: schedule {name} ({expression!r}) is not a rate(); not run locally")
            continue
        return float(int(match.group(1)) * _RATE_UNIT_SECONDS[match.group(2).rstrip("s")])
    return None


# ---------------------------------------------------------------------------------------- environment


@dataclass(frozen=True, slots=True)
class StoreChoice:
    backend: str
    """``sqlite`` or ``dynamodb``."""
    sqlite_path: Path | None = None
    dynamodb_endpoint: str | None = None

    def describe(self, app: LocalApp) -> str:
        if self.backend == "sqlite":
            return f"sqlite, file {self.sqlite_path}"
        tables = ", ".join(sorted(app.tables.values()))
        return f"DynamoDB at {self.dynamodb_endpoint} (tables {tables})"


def add_local_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every local command shares (template, store, stage)."""
    parser.add_argument("--template", default="template.yaml", help="SAM template (default: %(default)s)")
    parser.add_argument(
        "--stage", default="local", help="API stage name in events and URLs (default: %(default)s)"
    )
    parser.add_argument(
        "--data-dir",
        default=".twschat",
        help="where the sqlite store keeps twschat.db (default: %(default)s, under the current folder)",
    )
    parser.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        help="use DynamoDB at URL (e.g. DynamoDB Local) instead of sqlite; tables created if missing",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log every frame; keep Powertools metrics output on"
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="template parameters, as for sam deploy (e.g. RateLimitPerMinute=120 HistoryWindow=40)",
    )
    parser.add_argument(
        "--auth",
        choices=("none", "local"),
        default="none",
        help="none: development mode, announced in the welcome (default); local: tokens from "
        "'twschat token' checked by the template's authorizer against a local JWKS",
    )
    tws = parser.add_argument_group("TWS source (default: the built-in demo plan)")
    tws.add_argument(
        "--tws-url",
        metavar="URL",
        help="answer from a TWS plan REST API at URL (e.g. http://127.0.0.1:31116/twsd from twschat fake-tws)",
    )
    tws.add_argument(
        "--demo-plan",
        choices=("small", "large"),
        default="small",
        help="the built-in demo plan: small (default) or large (hundreds of jobs, repeated names)",
    )
    tws.add_argument("--tws-user", default="", help="basic-auth user for --tws-url")
    tws.add_argument("--tws-password", default="", help="basic-auth password (or env TWS_PASSWORD)")
    tws.add_argument("--tws-api-key", default="", help="API key sent as a bearer token (or env TWS_API_KEY)")
    tws.add_argument(
        "--tws-ca-bundle", default="", help="CA bundle (PEM file) that signed the TWS certificate"
    )
    tws.add_argument(
        "--tws-api",
        choices=("v1", "v2"),
        default="v1",
        help="REST API version of --tws-url: v1 (default) or v2 (10.1 FP1+; twschat fake-tws --api v2)",
    )
    llm = parser.add_argument_group("responder (default: the rule responder)")
    llm.add_argument(
        "--responder",
        choices=("rules", "bedrock"),
        default="rules",
        help="rules (default) or bedrock: the LLM responder, the rules as its fallback",
    )
    llm.add_argument(
        "--bedrock-endpoint",
        metavar="URL",
        help="Bedrock runtime endpoint for --responder bedrock (e.g. http://127.0.0.1:31117 from "
        "twschat fake-bedrock); without it, the real Bedrock of the AWS credentials in use",
    )


def parameter_overrides(args: argparse.Namespace) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in getattr(args, "parameter_overrides", None) or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise TemplateError(f"--parameter-overrides takes NAME=VALUE, got {pair!r}")
        overrides[name] = value
    return overrides


def tws_environment(args: argparse.Namespace, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """TWS_* variables for the handlers from the command line (secrets may also come from the env)."""
    base = os.environ if base is None else base
    url = getattr(args, "tws_url", None)
    if not url:
        plan = getattr(args, "demo_plan", None) or "small"
        return {"TWS_MODE": "demo", **({"TWS_DEMO_PLAN": plan} if plan != "small" else {})}
    env = {"TWS_MODE": "rest", "TWS_BASE_URL": url, "TWS_API_VERSION": getattr(args, "tws_api", None) or "v1"}
    for option, variable in (
        ("tws_user", "TWS_USERNAME"),
        ("tws_password", "TWS_PASSWORD"),
        ("tws_api_key", "TWS_API_KEY"),
        ("tws_ca_bundle", "TWS_CA_BUNDLE"),
    ):
        value = getattr(args, option, "") or base.get(variable, "")
        if value:
            env[variable] = value
    return env


def responder_environment(args: argparse.Namespace) -> dict[str, str]:
    """RESPONDER (and the Bedrock endpoint boto3 honours) from the command line."""
    env = {"RESPONDER": getattr(args, "responder", None) or "rules"}
    endpoint = getattr(args, "bedrock_endpoint", None)
    if endpoint:
        env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = endpoint
    return env


def local_environment(
    app: LocalApp,
    *,
    api_port: int,
    stage: str,
    data_dir: str | Path = ".twschat",
    dynamodb_endpoint: str | None = None,
    verbose: bool = False,
    base: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], StoreChoice]:
    """The variables to set process-wide before any handler is imported, and the store they select."""
    base = os.environ if base is None else base
    env = app.environment()
    api = f"http://127.0.0.1:{api_port}"
    env["CONNECTIONS_API_URL"] = f"{api}/{stage}"
    env["AWS_ENDPOINT_URL_LAMBDA"] = api
    for key, value in (
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_DEFAULT_REGION", DEFAULT_REGION),
    ):
        if not base.get(key):
            env[key] = value
    env["POWERTOOLS_TRACE_DISABLED"] = "true"
    # Powertools 3 honours POWERTOOLS_METRICS_DISABLED (metrics/functions.py:is_metrics_disabled):
    # no EMF blobs in the local console unless asked for.
    env["POWERTOOLS_METRICS_DISABLED"] = "false" if verbose else "true"
    if dynamodb_endpoint:
        env["STORE_BACKEND"] = "dynamodb"
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
        # DynamoDB Local in memory forgets its tables when restarted: create them again on demand.
        env["CREATE_MISSING_TABLES"] = "true"
        store = StoreChoice("dynamodb", dynamodb_endpoint=dynamodb_endpoint)
    else:
        sqlite_path = (Path(data_dir) / "twschat.db").resolve()
        env["STORE_BACKEND"] = "sqlite"
        env["SQLITE_PATH"] = str(sqlite_path)
        store = StoreChoice("sqlite", sqlite_path=sqlite_path)
    return env, store


class StoreNotReady(RuntimeError):
    pass


def apply_local_environment(app: LocalApp, args: argparse.Namespace, *, api_port: int) -> StoreChoice:
    """Set the handlers' environment from the command line, process-wide, and make the store ready.

    Shared by ``serve`` and ``invoke`` so both run the handlers exactly alike.
    """
    env, store = local_environment(
        app,
        api_port=api_port,
        stage=args.stage,
        data_dir=args.data_dir,
        dynamodb_endpoint=args.dynamodb_endpoint,
        verbose=args.verbose,
    )
    env.update(tws_environment(args))
    env.update(responder_environment(args))
    env["AUTH_MODE"] = getattr(args, "auth", "none")  # the template's default (cognito) needs AWS
    if env["AUTH_MODE"] == "local":
        from twschat_dev.auth import JWKS_PATH, local_auth_environment

        env.update(local_auth_environment(f"http://127.0.0.1:{api_port}{JWKS_PATH}"))
        # urllib would send even loopback requests through an HTTP(S)_PROXY of the developer's shell.
        no_proxy = {h for h in os.environ.get("NO_PROXY", "").split(",") if h} | {"127.0.0.1", "localhost"}
        env["NO_PROXY"] = env["no_proxy"] = ",".join(sorted(no_proxy))
    os.environ.update(env)
    try:
        prepare_store(app, store)
    except Exception as exc:
        raise StoreNotReady(f"store not ready ({store.describe(app)}): {exc}") from exc
    return store


def prepare_store(app: LocalApp, store: StoreChoice) -> None:
    """Create what the store needs: the data folder, or the DynamoDB tables (via the persistence layer)."""
    if store.backend == "sqlite":
        assert store.sqlite_path is not None
        store.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return
    from twschat.persistence.tables import ensure_tables

    tables = dict(app.tables)
    kwargs: dict[str, Any] = {
        "connections_table": tables.get("ConnectionsTable", local_table_name("ConnectionsTable")),
        "history_table": tables.get("HistoryTable", local_table_name("HistoryTable")),
    }
    if "AuditTable" in tables:
        kwargs["audit_table"] = tables["AuditTable"]
    if "AlertsTable" in tables:
        kwargs["alerts_table"] = tables["AlertsTable"]
    for lid in sorted(set(tables) - {"ConnectionsTable", "HistoryTable", "AuditTable", "AlertsTable"}):
        log.warning("table %s (%s) is not created locally: ensure_tables does not know it", lid, tables[lid])
    ensure_tables(endpoint_url=store.dynamodb_endpoint, **kwargs)
