"""Scripts: the team's template library, rendering, and the fix's script path (SPEC §7)."""
