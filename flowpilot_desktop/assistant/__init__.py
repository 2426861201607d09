"""The assistant: its marker protocol, prompts, and the chat turn that ties them together."""
