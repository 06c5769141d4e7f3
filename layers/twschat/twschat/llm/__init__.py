"""The LLM responder (``RESPONDER=bedrock``): Amazon Bedrock Converse with tools over the TWS plan.

- :mod:`.tools` the tools (schemas generated from the domain) and their execution
- :mod:`.converse` Converse shapes, pure: history as messages, stream events collected, errors
- :mod:`.prompt` the system prompt and the fallback notes
- :mod:`.pricing` the default model, its price, a turn's estimated cost
- :mod:`.responder` :class:`~.responder.BedrockResponder`
- :mod:`.bedrock` the boto3 adapter (the only module that imports boto3, when first used)
"""
