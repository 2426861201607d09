"""The code editor's colours in each theme: the surface, the margin, the marks for
``{{placeholders}}`` and chosen values, and the syntax colours (written once for the dark
theme, with a darker counterpart for the light one, so both read on their background)."""

from __future__ import annotations

from dataclasses import dataclass

from ui.theme import ThemeColours, current_colours

# dark syntax colour -> its light-theme counterpart (the same hue, dark enough for white)
_LIGHT_SYNTAX = {
    "#7c8b9c": "#64748b",  # comments
    "#fbbf24": "#b45309",  # strings
    "#c4b5fd": "#6d28d9",  # keywords, numbers
    "#7dd3fc": "#0369a1",  # variables
    "#f9a8d4": "#be185d",  # operators, types
    "#93c5fd": "#1d4ed8",  # commands, cmdlets
}


@dataclass(frozen=True)
class EditorColours:
    foreground: str
    background: str
    margin_text: str
    margin_background: str
    guide: str
    selection: str
    placeholder_text: str
    placeholder_background: str
    value_text: str
    value_background: str
    dark: bool

    def syntax(self, dark_colour: str) -> str:
        """A syntax colour (named by its dark-theme value) in this theme."""
        return dark_colour if self.dark else _LIGHT_SYNTAX.get(dark_colour, dark_colour)


def editor_colours(theme: ThemeColours | None = None) -> EditorColours:
    colours = theme or current_colours()
    dark = colours.name == "dark"
    return EditorColours(
        foreground=colours.text,
        background=colours.input,
        margin_text=colours.faint,
        margin_background=colours.surface if dark else colours.sunken,
        guide=colours.line,
        selection=colours.text_selection,
        placeholder_text="#7dd3fc" if dark else "#075985",
        placeholder_background="#0c4a6e" if dark else "#e0f2fe",
        value_text=colours.warning if dark else colours.warning_text,
        value_background=colours.warning_chip_bg,
        dark=dark,
    )
