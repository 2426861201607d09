"""PyInstaller entry point: the same start as ``python -m flowpilot_desktop``."""

from flowpilot_desktop.app import main

raise SystemExit(main())
