"""FlowPilot Desktop: the services, assistant protocol and composition root (no widgets here)."""

__version__ = "0.1.0"
APP_NAME = "FlowPilot Desktop"
