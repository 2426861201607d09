"""`python -m flowpilot_desktop` starts the app."""

from flowpilot_desktop.app import main

raise SystemExit(main())
