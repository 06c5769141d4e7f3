"""Local development gateway: API Gateway WebSocket behaviour for ``template.yaml`` without AWS.

- :mod:`twschat_dev.template` reads the SAM template: routes -> integrations -> functions, environment.
- :mod:`twschat_dev.runtime` loads the handlers by file path and runs them with a fake Lambda context.
- :mod:`twschat_dev.connections_api` serves the ``@connections`` management API and the Lambda
  Invoke API over HTTP (the handlers reach both through boto3 with local endpoint URLs).
- :mod:`twschat_dev.gateway` is ``twschat serve``: the WebSocket server.
- :mod:`twschat_dev.invoke` is ``twschat invoke``: one handler, one event file.

Development only: nothing here authenticates, persists connections or scales.
"""
