"""``twschat fake-tws``'s ``POST /__plan`` (issue 18): a job's or a workstation's state changes at run
time, as the REST client (and so the alert watcher) reads it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from twschat.adapters.tws_rest import build_rest_client
from twschat_dev.fake_tws import FakeTwsServer


def _post(url: str, body: dict[str, str]) -> tuple[int, dict[str, str]]:
    root = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(url))  # control paths sit at the root
    request = urllib.request.Request(root + "/__plan", json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, {}


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_a_job_and_a_workstation_change_state_for_the_client(api: str) -> None:
    with FakeTwsServer(api=api) as fake:
        client = build_rest_client(fake.url, username=fake.username, password=fake.password, api_version=api)
        before = next(j for j in client.list_jobs() if j.job_id == "JOB014")
        assert before.status != "SUCC"
        assert _post(fake.url, {"job": "JOB014", "status": "SUCC"})[0] == 200
        after = next(j for j in client.list_jobs() if j.job_id == "JOB014")
        assert after.status == "SUCC" and after.return_code == 0
        assert _post(fake.url, {"workstation": "TWS_AGENT2", "status": "ONLINE"})[0] == 200
        assert _post(fake.url, {"job": "JOB999", "status": "SUCC"})[0] == 400
