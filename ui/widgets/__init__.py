"""Widgets every area shares: inline editors, copy buttons, labels, the session header, how
statuses read. Dock packages import from here, never from each other."""
