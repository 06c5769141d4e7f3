"""Choosing the TWS REST API version: template parameter, environment, settings, CLI flags."""

from __future__ import annotations

import argparse
from pathlib import Path

from twschat.adapters.tws_rest import TwsApiDialect, TwsApiDialectV2
from twschat.config import Settings
from twschat.responders import build_tws_client
from twschat_dev import fake_tws
from twschat_dev.template import add_local_arguments, load_template, tws_environment

ROOT = Path(__file__).resolve().parents[2]


def test_template_parameter_reaches_the_environment() -> None:
    template = load_template(ROOT / "template.yaml")
    param = template["Parameters"]["TwsApiVersion"]
    assert (param["Default"], param["AllowedValues"]) == ("v1", ["v1", "v2"])
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TWS_API_VERSION"] == {"Ref": "TwsApiVersion"}


def test_settings_and_responders_choose_the_dialect() -> None:
    assert Settings.from_env({}).tws_api_version == "v1"
    v2 = Settings.from_env(
        {"TWS_MODE": "rest", "TWS_BASE_URL": "http://127.0.0.1:9/twsd", "TWS_API_VERSION": "v2"}
    )
    assert v2.tws_api_version == "v2"
    assert isinstance(build_tws_client(v2).dialect, TwsApiDialectV2)  # type: ignore[attr-defined]
    v1 = Settings.from_env({"TWS_MODE": "rest", "TWS_BASE_URL": "http://127.0.0.1:9/twsd"})
    assert type(build_tws_client(v1).dialect) is TwsApiDialect  # type: ignore[attr-defined]


def test_serve_flag_sets_the_variable() -> None:
    parser = argparse.ArgumentParser()
    add_local_arguments(parser)
    args = parser.parse_args(["--tws-url", "http://127.0.0.1:31116/twsd", "--tws-api", "v2"])
    assert tws_environment(args, {})["TWS_API_VERSION"] == "v2"
    args = parser.parse_args(["--tws-url", "http://127.0.0.1:31116/twsd"])
    assert tws_environment(args, {})["TWS_API_VERSION"] == "v1"


def test_fake_tws_api_flag() -> None:
    parser = argparse.ArgumentParser()
    fake_tws.register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["fake-tws", "--api", "v2"]).api == "v2"
    assert parser.parse_args(["fake-tws"]).api == "v1"
