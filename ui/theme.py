"""Colours and the application stylesheet: a dark and a light theme that follow the operating
system's colour scheme, switched live when it changes.

The dark theme is the web version's calm palette; the light one is its counterpart in the same
blue accent family. ``resources/styles/app.qss`` is a template: each colour name in braces is
filled from the active theme's :class:`ThemeColours`. ``FLOWPILOT_THEME=light|dark`` overrides
the system (for screenshots and tests).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Literal

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QStyleHints
from PySide6.QtWidgets import QApplication, QWidget

from resources import resource_path

log = logging.getLogger(__name__)

ThemeName = Literal["dark", "light"]

THEME_ENV = "FLOWPILOT_THEME"
"""Environment variable forcing a theme (``light`` or ``dark``) whatever the system says."""


@dataclass(frozen=True)
class ThemeColours:
    """Every colour a theme names; the field names are the stylesheet template's placeholders."""

    name: ThemeName
    # Surfaces, from the window down to the controls.
    window: str
    surface: str  # docks' titles, cards, menus, the palette
    sunken: str  # status and menu bars, code blocks, the sync strip
    input: str  # text fields, combo boxes, check box indicators
    raised: str  # buttons, tooltips
    bubble: str  # the technician's chat bubble
    skeleton: str  # loading placeholders
    line: str  # separators and quiet borders
    border: str  # control borders
    border_strong: str  # hovered cards
    indicator_border: str  # check box and radio outlines (3:1 against their background)
    chip: str  # neutral chip background
    base: str  # the palette's Base: item views, Fusion-drawn fields
    alternate_base: str
    button: str  # the palette's Button: scroll bars, headers, tabs
    shade: str  # the palette's Dark: Fusion's bevels
    # Text.
    text: str
    text_strong: str
    text_soft: str
    chip_text: str
    muted: str
    faint: str  # disabled text
    disabled: str  # disabled text on quiet controls
    disabled_bg: str  # a disabled primary button
    # Accent.
    accent: str
    accent_text: str  # accent-tinted text (focused labels, blue chips)
    accent_strong: str  # a checked radio's outline
    accent_border: str  # quick-reply outline
    hover_border: str
    primary: str
    primary_border: str
    on_primary: str
    selection: str  # selected list and menu items
    selection_text: str
    text_selection: str  # selected text in inputs
    text_selection_text: str
    checked_bg: str  # a checked option card
    focus: str  # the focus ring
    focus_on_accent: str  # the focus ring on primary (blue) buttons and checked cards
    # Status.
    success: str
    success_text: str
    success_bg: str
    success_chip_text: str
    success_border: str
    warning: str
    warning_text: str
    warning_bg: str
    warning_chip_bg: str
    warning_border: str
    badge_border: str  # the drafts badge's outline
    danger: str
    danger_text: str
    danger_bg: str
    danger_chip_text: str
    info: str
    info_border: str
    violet: str
    violet_text: str
    violet_border: str

    def template_values(self) -> dict[str, str]:
        """The placeholders' values: every field but the theme's name."""
        values = asdict(self)
        del values["name"]
        return values


DARK = ThemeColours(
    name="dark",
    window="#0f172a",
    surface="#111827",
    sunken="#0b1220",
    input="#0b1220",
    raised="#1e293b",
    bubble="#1e293b",
    skeleton="#1e293b",
    line="#1e293b",
    border="#334155",
    border_strong="#475569",
    indicator_border="#64748b",
    chip="#334155",
    base="#111827",
    alternate_base="#1e293b",
    button="#1e293b",
    shade="#0b1220",
    text="#e2e8f0",
    text_strong="#f8fafc",
    text_soft="#cbd5e1",
    chip_text="#e2e8f0",
    muted="#94a3b8",
    faint="#64748b",
    disabled="#475569",
    disabled_bg="#1e293b",
    accent="#60a5fa",
    accent_text="#bfdbfe",
    accent_strong="#93c5fd",
    accent_border="#60a5fa",
    hover_border="#60a5fa",
    primary="#1d4ed8",
    primary_border="#2563eb",
    on_primary="#f8fafc",
    selection="#1e3a8a",
    selection_text="#f8fafc",
    text_selection="#1d4ed8",
    text_selection_text="#f8fafc",
    checked_bg="#172554",
    focus="#93c5fd",
    focus_on_accent="#dbeafe",
    success="#34d399",
    success_text="#86efac",
    success_bg="#14532d",
    success_chip_text="#bbf7d0",
    success_border="#166534",
    warning="#fbbf24",
    warning_text="#fde68a",
    warning_bg="#422006",
    warning_chip_bg="#78350f",
    warning_border="#a16207",
    badge_border="#92400e",
    danger="#f87171",
    danger_text="#fca5a5",
    danger_bg="#7f1d1d",
    danger_chip_text="#fecaca",
    info="#67e8f9",
    info_border="#155e75",
    violet="#7c3aed",
    violet_text="#c4b5fd",
    violet_border="#4c1d95",
)

LIGHT = ThemeColours(
    name="light",
    window="#f8fafc",
    surface="#ffffff",
    sunken="#f1f5f9",
    input="#ffffff",
    raised="#ffffff",
    bubble="#e8eef7",
    skeleton="#e2e8f0",
    line="#e2e8f0",
    border="#cbd5e1",
    border_strong="#94a3b8",
    indicator_border="#64748b",
    chip="#e2e8f0",
    base="#ffffff",
    alternate_base="#f1f5f9",
    button="#f1f5f9",
    shade="#94a3b8",
    text="#0f172a",
    text_strong="#020617",
    text_soft="#334155",
    chip_text="#334155",
    muted="#526075",
    faint="#94a3b8",
    disabled="#94a3b8",
    disabled_bg="#e2e8f0",
    accent="#2563eb",
    accent_text="#1e40af",
    accent_strong="#1d4ed8",
    accent_border="#93c5fd",
    hover_border="#60a5fa",
    primary="#2563eb",
    primary_border="#2563eb",
    on_primary="#ffffff",
    selection="#dbeafe",
    selection_text="#0f172a",
    text_selection="#bfdbfe",
    text_selection_text="#0f172a",
    checked_bg="#dbeafe",
    focus="#2563eb",
    focus_on_accent="#0f172a",
    success="#047857",
    success_text="#15803d",
    success_bg="#dcfce7",
    success_chip_text="#166534",
    success_border="#86efac",
    warning="#b45309",
    warning_text="#92400e",
    warning_bg="#fffbeb",
    warning_chip_bg="#fef3c7",
    warning_border="#d97706",
    badge_border="#f59e0b",
    danger="#b91c1c",
    danger_text="#b91c1c",
    danger_bg="#fee2e2",
    danger_chip_text="#991b1b",
    info="#0e7490",
    info_border="#22d3ee",
    violet="#7c3aed",
    violet_text="#6d28d9",
    violet_border="#c4b5fd",
)

THEMES: dict[ThemeName, ThemeColours] = {"dark": DARK, "light": LIGHT}

_active: ThemeColours = DARK
_installed = False
_connected_hints: QStyleHints | None = None


def current_colours() -> ThemeColours:
    """The installed theme's colours (the dark theme until ``apply_theme`` has run)."""
    return _active


def status_colour(status: str) -> QColor:
    """A session status's dot colour in the active theme (looked up at paint time, so it
    follows a theme switch)."""
    colours = current_colours()
    by_status = {
        "active": colours.accent,
        "paused": colours.muted,
        "resolved": colours.success,
        "resolved_local": colours.success,
        "escalated": colours.warning,
        "escalated_local": colours.warning,
    }
    return QColor(by_status.get(status, colours.muted))


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a property the style sheet selects on (``role``, ``mode``…) and restyle the
    widget: Qt does not re-apply style sheets when a dynamic property changes."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def theme_override() -> ThemeName | None:
    """The theme ``FLOWPILOT_THEME`` forces, if it names one (anything else is ignored)."""
    value = os.environ.get(THEME_ENV, "").strip().lower()
    if value in ("dark", "light"):
        return "dark" if value == "dark" else "light"
    if value:
        log.warning("%s=%r is neither 'light' nor 'dark'; following the system", THEME_ENV, value)
    return None


def theme_for_scheme(scheme: Qt.ColorScheme) -> ThemeColours:
    """The theme for the system's colour scheme, unless overridden; dark when unknown (Linux
    desktops that do not say), as before themes followed the system."""
    override = theme_override()
    if override is not None:
        return THEMES[override]
    return LIGHT if scheme == Qt.ColorScheme.Light else DARK


_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
"""A colour name in braces. QSS blocks always have a space or a line break after their opening
brace, so rules are never taken for placeholders (and str.format would trip over them)."""


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced; an unknown name raises KeyError, so a typo
    in the stylesheet fails loudly instead of silently dropping a rule."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def stylesheet_values(colours: ThemeColours) -> dict[str, str]:
    """What the template's placeholders stand for: the colours, and the theme's own images
    (the combo box chevron, the check box tick) as paths Qt's ``url()`` accepts."""
    values = colours.template_values()
    for key, stem in (("chevron_down", "chevron-down"), ("check_mark", "check")):
        values[key] = resource_path("icons", f"{stem}-{colours.name}.svg").as_posix()
    return values


def render_stylesheet(colours: ThemeColours) -> str:
    """resources/styles/app.qss filled with ``colours``."""
    template = resource_path("styles", "app.qss").read_text(encoding="utf-8")
    return fill_template(template, stylesheet_values(colours))


def build_palette(colours: ThemeColours) -> QPalette:
    """The Fusion palette for ``colours``. It starts from the two-colour constructor so every
    role (bevels, disabled groups) is derived afresh rather than kept from the previous theme."""
    palette = QPalette(QColor(colours.button), QColor(colours.window))
    roles = {
        QPalette.ColorRole.Window: colours.window,
        QPalette.ColorRole.WindowText: colours.text,
        QPalette.ColorRole.Base: colours.base,
        QPalette.ColorRole.AlternateBase: colours.alternate_base,
        QPalette.ColorRole.Text: colours.text,
        QPalette.ColorRole.PlaceholderText: colours.muted,
        QPalette.ColorRole.Button: colours.button,
        QPalette.ColorRole.ButtonText: colours.text,
        # Delegates paint selected rows' text in HighlightedText over the stylesheet's
        # selection, so it must read on both: the dark theme's whites, the light theme's ink.
        QPalette.ColorRole.Highlight: colours.text_selection,
        QPalette.ColorRole.HighlightedText: colours.selection_text,
        QPalette.ColorRole.ToolTipBase: colours.raised,
        QPalette.ColorRole.ToolTipText: colours.text,
        QPalette.ColorRole.Link: colours.accent,
        QPalette.ColorRole.LinkVisited: colours.violet_text,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Mid: colours.border,
        QPalette.ColorRole.Dark: colours.shade,
        QPalette.ColorRole.Accent: colours.accent,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colours.faint))
    return palette


class ThemeNotifier(QObject):
    """Tells widgets that paint with theme colours themselves (not through the stylesheet)
    that the theme changed, so they can repaint or restyle."""

    sig_theme_changed = Signal(str)
    """The new theme's name, ``"dark"`` or ``"light"``."""


_notifier: ThemeNotifier | None = None


def theme_notifier() -> ThemeNotifier:
    """The application's notifier (owned by the QApplication, made on first use)."""
    global _notifier
    if _notifier is None or not shiboken6.isValid(_notifier):
        _notifier = ThemeNotifier(QApplication.instance())
    return _notifier


def install_theme(app: QApplication, colours: ThemeColours) -> None:
    """Install ``colours``' palette and stylesheet now, and say so."""
    global _active, _installed
    _active = colours
    _installed = True
    app.setPalette(build_palette(colours))
    app.setStyleSheet(render_stylesheet(colours))
    theme_notifier().sig_theme_changed.emit(colours.name)


def on_color_scheme_changed(scheme: Qt.ColorScheme) -> None:
    """The system's light/dark setting changed: install the matching theme (tests call this
    directly, as not every platform lets Python emit the style hints' signal)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    colours = theme_for_scheme(scheme)
    if colours is not _active or not _installed:
        install_theme(app, colours)


def apply_theme(app: QApplication) -> None:
    """Fusion with the theme for the system's colour scheme (or ``FLOWPILOT_THEME``), kept in
    step with the system while the app runs."""
    global _connected_hints
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    override = theme_override()
    if override is not None:
        # Ask the platform too (Qt 6.8+), so native parts such as the title bar match.
        hints.setColorScheme(Qt.ColorScheme.Light if override == "light" else Qt.ColorScheme.Dark)
    install_theme(app, theme_for_scheme(hints.colorScheme()))
    if _connected_hints is not hints:
        hints.colorSchemeChanged.connect(on_color_scheme_changed)
        _connected_hints = hints
