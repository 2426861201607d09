"""Every widget of FlowPilot Desktop: main window, docks, dialogs, palette, theme."""
