"""The LLM responder (``RESPONDER=bedrock``): a model that reads the TWS plan through tools, behind a
provider-neutral seam.

- :mod:`.model` the seam: neutral messages, tool specs, tool calls, model turns; ``ModelProvider``
- :mod:`.bedrock` Amazon Bedrock behind it (request builder, event collector, pricing, boto3 client)
- :mod:`.settings` :class:`~.settings.LlmSettings`, one nested dataclass (``Settings.llm``)
- :mod:`.tools` the tools: one registry entry each (spec and handler), one action tool that proposes
- :mod:`.history` stored turns as messages, the token estimate and budget
- :mod:`.rounds` one turn's model calls and tool runs; :mod:`.proposals` the gate on a proposal
- :mod:`.records` what the responder keeps of a turn (calls, figures)
- :mod:`.memory` the running summary of long conversations
- :mod:`.prompt` the system prompt
- :mod:`.responder` :class:`~.responder.ModelResponder` and :class:`~.responder.BedrockResponder`
"""
