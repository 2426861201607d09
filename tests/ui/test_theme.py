"""The light and dark themes: following the system's colour scheme, the FLOWPILOT_THEME
override, the stylesheet template, the focus ring on every focusable control, the app icon."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QWidget

from resources import resource_path
from tests.ui.helpers import activate
from ui import theme
from ui.app_icon import ICON_SIZES, app_icon
from ui.theme import DARK, LIGHT, THEME_ENV, ThemeColours

THEMES = pytest.mark.parametrize("colours", [DARK, LIGHT], ids=["dark", "light"])


@pytest.fixture
def themed_app(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[QApplication]:
    """The shared QApplication, given back to the other tests as it was (no stylesheet, its
    palette and style, no scheme handler)."""
    monkeypatch.delenv(THEME_ENV, raising=False)
    sheet, palette, style = qapp.styleSheet(), QPalette(qapp.palette()), qapp.style().name()
    yield qapp
    hints = QGuiApplication.styleHints()
    if theme._connected_hints is hints:
        hints.colorSchemeChanged.disconnect(theme.on_color_scheme_changed)
    theme._connected_hints = None
    theme._active, theme._installed = DARK, False
    hints.unsetColorScheme()
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)


def window_colour(app: QApplication) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def rules(qss: str) -> list[tuple[list[str], str]]:
    """(selectors, declarations) of each rule of a stylesheet without nested blocks."""
    qss = re.sub(r"/\*.*?\*/", "", qss, flags=re.DOTALL)
    found = []
    for match in re.finditer(r"([^{}]+)\{([^{}]*)\}", qss):
        selectors = [s.strip() for s in match.group(1).split(",") if s.strip()]
        found.append((selectors, match.group(2)))
    return found


def focus_rules(qss: str) -> dict[str, str]:
    """Each selector ending in :focus, with its declarations."""
    return {
        selector: body
        for selectors, body in rules(qss)
        for selector in selectors
        if selector.endswith(":focus")
    }


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    q = QColor(colour)
    return 0.2126 * channel(q.red()) + 0.7152 * channel(q.green()) + 0.0722 * channel(q.blue())


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# -- following the system -----------------------------------------------------------------------


def test_the_two_palettes_differ_where_it_shows() -> None:
    light, dark = theme.build_palette(LIGHT), theme.build_palette(DARK)
    for role in (
        QPalette.ColorRole.Window,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Base,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.Button,
        QPalette.ColorRole.Highlight,
    ):
        assert light.color(role) != dark.color(role), role
    assert luminance(light.color(QPalette.ColorRole.Window).name()) > 0.8
    assert luminance(dark.color(QPalette.ColorRole.Window).name()) < 0.05


@THEMES
def test_selected_rows_text_reads_on_the_selection(colours: ThemeColours) -> None:
    """The sessions list paints a selected row's text in HighlightedText over the stylesheet's
    item selection colour."""
    palette = theme.build_palette(colours)
    text = palette.color(QPalette.ColorRole.HighlightedText).name()
    assert contrast(text, colours.selection) >= 4.5
    assert contrast(text, palette.color(QPalette.ColorRole.Highlight).name()) >= 4.5


def test_the_dark_palette_is_the_one_from_before_themes() -> None:
    dark = theme.build_palette(DARK)
    assert dark.color(QPalette.ColorRole.Window).name() == "#0f172a"
    assert dark.color(QPalette.ColorRole.Base).name() == "#111827"
    assert dark.color(QPalette.ColorRole.Highlight).name() == "#1d4ed8"
    assert dark.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text).name() == "#64748b"


def test_each_scheme_gets_its_theme_live(themed_app: QApplication) -> None:
    theme.apply_theme(themed_app)
    changes: list[str] = []
    theme.theme_notifier().sig_theme_changed.connect(changes.append)

    theme.on_color_scheme_changed(Qt.ColorScheme.Light)
    assert theme.current_colours() is LIGHT
    assert window_colour(themed_app) == LIGHT.window
    assert f"background: {LIGHT.primary}" in themed_app.styleSheet()

    theme.on_color_scheme_changed(Qt.ColorScheme.Dark)
    assert theme.current_colours() is DARK
    assert window_colour(themed_app) == DARK.window
    assert f"background: {DARK.primary}" in themed_app.styleSheet()
    assert changes == ["light", "dark"]

    theme.on_color_scheme_changed(Qt.ColorScheme.Dark)  # no change, no restyle
    assert changes == ["light", "dark"]


def test_an_unknown_scheme_is_dark() -> None:
    assert theme.theme_for_scheme(Qt.ColorScheme.Unknown) is DARK


def test_apply_theme_follows_the_system_and_listens(themed_app: QApplication) -> None:
    theme.apply_theme(themed_app)
    expected = theme.theme_for_scheme(QGuiApplication.styleHints().colorScheme())
    assert theme.current_colours() is expected
    assert window_colour(themed_app) == expected.window
    assert theme._connected_hints is QGuiApplication.styleHints()
    theme.apply_theme(themed_app)  # connects once however often it runs
    assert theme._connected_hints is QGuiApplication.styleHints()


@pytest.mark.parametrize("forced", ["light", "dark", " Light "])
def test_the_environment_overrides_the_system(
    themed_app: QApplication, monkeypatch: pytest.MonkeyPatch, forced: str
) -> None:
    monkeypatch.setenv(THEME_ENV, forced)
    wanted = LIGHT if forced.strip().lower() == "light" else DARK
    other = Qt.ColorScheme.Dark if wanted is LIGHT else Qt.ColorScheme.Light
    theme.apply_theme(themed_app)
    assert theme.current_colours() is wanted
    theme.on_color_scheme_changed(other)
    assert theme.current_colours() is wanted
    assert window_colour(themed_app) == wanted.window


def test_a_meaningless_override_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THEME_ENV, "sepia")
    assert theme.theme_override() is None
    assert theme.theme_for_scheme(Qt.ColorScheme.Light) is LIGHT


def test_status_colours_follow_the_theme(themed_app: QApplication) -> None:
    theme.install_theme(themed_app, LIGHT)
    assert theme.status_colour("resolved").name() == LIGHT.success
    assert theme.status_colour("anything else").name() == LIGHT.muted
    theme.install_theme(themed_app, DARK)
    assert theme.status_colour("escalated").name() == theme.DARK.warning


# -- the stylesheet template ------------------------------------------------------------------


@THEMES
def test_the_template_is_filled_completely(colours: ThemeColours) -> None:
    qss = theme.render_stylesheet(colours)
    assert not re.search(r"\{[A-Za-z_][A-Za-z0-9_]*\}", qss)
    assert qss.count("{") == qss.count("}")
    assert colours.window in qss and colours.focus in qss


@THEMES
def test_the_images_the_stylesheet_names_exist(colours: ThemeColours) -> None:
    qss = theme.render_stylesheet(colours)
    images = re.findall(r'url\("([^"]+)"\)', qss)
    assert len(images) >= 2
    for image in images:
        assert QSvgRenderer(image).isValid(), image


def test_the_themes_fill_the_same_rules_differently() -> None:
    dark, light = theme.render_stylesheet(DARK), theme.render_stylesheet(LIGHT)
    assert [s for s, _ in rules(dark)] == [s for s, _ in rules(light)]
    assert dark != light


def test_the_dark_stylesheet_keeps_todays_colours() -> None:
    qss = theme.render_stylesheet(DARK)
    for declaration in (
        "QMainWindow::separator { background: #1e293b;",
        'QPushButton[role="primary"] {\n    background: #1d4ed8; border-color: #2563eb;',
        'QLabel#syncChip[syncState="posted"] { background: #14532d; color: #bbf7d0; }',
        '#outcomeBanner[mode="ai_confirming"] { border-color: #7c3aed; }',
    ):
        assert declaration in qss


def test_an_unknown_placeholder_fails_loudly() -> None:
    with pytest.raises(KeyError):
        theme.fill_template("QLabel { color: {no_such_colour}; }", DARK.template_values())
    assert theme.fill_template("QLabel { color: {text}; }", DARK.template_values()) == (
        "QLabel { color: #e2e8f0; }"
    )


@THEMES
def test_the_themes_are_readable(colours: ThemeColours) -> None:
    assert contrast(colours.text, colours.window) >= 7
    assert contrast(colours.text, colours.surface) >= 7
    assert contrast(colours.muted, colours.window) >= 4.5
    assert contrast(colours.muted, colours.sunken) >= 4.5
    assert contrast(colours.on_primary, colours.primary) >= 4.5
    assert contrast(colours.text_selection_text, colours.text_selection) >= 4.5
    assert contrast(colours.selection_text, colours.selection) >= 4.5
    for text, background in (
        (colours.success_chip_text, colours.success_bg),
        (colours.danger_chip_text, colours.danger_bg),
        (colours.warning_text, colours.warning_chip_bg),
        (colours.warning_text, colours.warning_bg),
        (colours.accent_text, colours.selection),
        (colours.danger_text, colours.surface),
        (colours.success_text, colours.surface),
        (colours.info, colours.surface),
    ):
        assert contrast(text, background) >= 4.5, (text, background)


# -- the focus ring -------------------------------------------------------------------------------

FOCUSABLE = (
    "QPushButton",
    'QPushButton[role="primary"]',
    'QPushButton[role="subtle"]',
    "#quickReply",
    "#jumpToLatest",
    "QPushButton#draftsBadge",
    "#factEdit",
    "#fixHistory",
    "#fixCard",
    "#bannerCollapse",
    "QToolButton",
    'QToolButton[role="option-card"]',
    'QToolButton[role="section-toggle"]',
    "QCheckBox",
    "QRadioButton",
    "QComboBox",
    "QLineEdit",
    "QPlainTextEdit",
    "QTextEdit",
    "QListView",
    "QTreeView",
    "QTableView",
    "#paletteResults",
)


NOT_FOCUSABLE = {
    "commandPalette",  # the palette's frame (its search field and list take focus)
    "codeBlock",
    "factRow",
    "questionRow",
    "checkRow",
    "nextSteps",  # a label
    "outcomeBanner",
}


@THEMES
def test_every_focusable_control_has_a_focus_rule(colours: ThemeColours) -> None:
    focused = focus_rules(theme.render_stylesheet(colours))
    missing = [name for name in FOCUSABLE if f"{name}:focus" not in focused]
    assert not missing


@THEMES
def test_the_ring_is_two_pixels_in_the_focus_colour(colours: ThemeColours) -> None:
    focused = focus_rules(theme.render_stylesheet(colours))
    ring = f"border: 2px solid {colours.focus}"
    for name in (
        "QPushButton",
        "QToolButton",
        "QCheckBox",
        "QComboBox",
        "QLineEdit",
        "QListView",
        'QToolButton[role="option-card"]',
    ):
        assert ring in focused[f"{name}:focus"], name
    on_blue = f"border-color: {colours.focus_on_accent}"
    assert on_blue in focused['QPushButton[role="primary"]:focus']
    assert f"border: 2px solid {colours.focus_on_accent}" in focused["#jumpToLatest:focus"]
    assert on_blue in focused['QToolButton[role="option-card"]:checked:focus']


@THEMES
def test_every_rule_styling_a_focusable_object_by_name_keeps_the_ring(
    colours: ThemeColours,
) -> None:
    """A rule selecting by object name outranks the generic :focus rules, so one that sets a
    border on a button must come with its own :focus rule."""
    qss = theme.render_stylesheet(colours)
    focused = focus_rules(qss)
    for selectors, body in rules(qss):
        for selector in selectors:
            if "#" not in selector or ":" in selector or "border" not in body:
                continue
            if selector.startswith(("QLabel", "QFrame")) or " " in selector:
                continue  # not focusable, or a descendant rule
            name = re.split(r"[\[:]", selector.split("#")[1])[0]
            if name in NOT_FOCUSABLE:
                continue
            assert any(f"#{name}:" in key for key in focused), selector


@THEMES
def test_the_ring_stands_out_wherever_it_is_drawn(colours: ThemeColours) -> None:
    """WCAG 2.2 non-text contrast: 3:1 against what is next to the ring."""
    for background in (colours.window, colours.surface, colours.raised, colours.input):
        assert contrast(colours.focus, background) >= 3, background
    for background in (colours.window, colours.surface, colours.primary, colours.checked_bg):
        assert contrast(colours.focus_on_accent, background) >= 3, background
    assert contrast(colours.focus_on_accent, colours.primary_border) >= 3  # the change shows


@THEMES
def test_a_focused_primary_button_shows_the_ring(
    qtbot, themed_app: QApplication, colours: ThemeColours
) -> None:
    theme.install_theme(themed_app, colours)
    window = QWidget()
    qtbot.addWidget(window)
    layout = QHBoxLayout(window)
    other = QPushButton("Cancel", window)
    primary = QPushButton("Apply", window)
    primary.setProperty("role", "primary")
    layout.addWidget(other)
    layout.addWidget(primary)
    window.show()
    qtbot.waitExposed(window)
    activate(qtbot, window)

    def edge(button: QPushButton) -> str:
        image = button.grab().toImage()
        return image.pixelColor(0, image.height() // 2).name()

    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    assert edge(primary) != colours.focus_on_accent
    assert edge(other) == colours.focus
    primary.setFocus()
    qtbot.waitUntil(primary.hasFocus)
    assert edge(primary) == colours.focus_on_accent


# -- the icon --------------------------------------------------------------------------------


def test_the_app_icon_has_every_size(qapp: QApplication) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert {size.width() for size in icon.availableSizes()} >= set(ICON_SIZES)
    for size in (16, 32, 64, 256):
        pixmap = icon.pixmap(QSize(size, size))
        assert not pixmap.isNull()
        assert pixmap.width() == size


def test_the_rendered_pngs_match_the_svg(qapp: QApplication) -> None:
    assert QSvgRenderer(str(resource_path("icons", "flowpilot.svg"))).isValid()
    for size in ICON_SIZES:
        image = QImage(str(resource_path("icons", f"flowpilot-{size}.png")))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(0, 0).alpha() == 0  # the rounded corner is transparent
        centre = image.pixelColor(size // 2, size // 2)
        assert centre.alpha() == 255


# -- the code editor --------------------------------------------------------------------------


@pytest.mark.parametrize("backend_name", ["scintilla", "plain"])
def test_the_code_editor_follows_the_theme(themed_app: QApplication, qtbot, backend_name) -> None:
    from PySide6.QtGui import QColor

    from ui.code_editor import CodeEditor, PlainTextBackend
    from ui.code_editor.colours import editor_colours

    if backend_name == "scintilla":
        backend = pytest.importorskip("ui.code_editor.scintilla_backend").ScintillaBackend
    else:
        backend = PlainTextBackend
    theme.install_theme(themed_app, DARK)
    editor = CodeEditor(backend=backend)
    qtbot.addWidget(editor)
    editor.set_text('Write-Host "{{user}}"')

    def shown_colours() -> tuple[str, str]:
        """The text's background and the placeholder mark's colour, as the widget has them."""
        widget = editor.findChild(
            QWidget, f"codeEditor{'Scintilla' if backend_name == 'scintilla' else 'Plain'}"
        )
        if backend_name == "scintilla":
            back = widget.styleBack(32)  # STYLE_DEFAULT, 0xBBGGRR
            mark = widget.indicFore(8)
            as_rgb = lambda bgr: QColor(bgr & 0xFF, bgr >> 8 & 0xFF, bgr >> 16 & 0xFF).name()  # noqa: E731
            return as_rgb(back), as_rgb(mark)
        block = widget.document().firstBlock()
        formats = block.layout().formats()
        mark = next(f.format.foreground().color().name() for f in formats)
        return themed_app.palette().base().color().name(), mark

    assert shown_colours()[1] == editor_colours(DARK).placeholder_text
    theme.install_theme(themed_app, LIGHT)
    background, mark = shown_colours()
    assert mark == editor_colours(LIGHT).placeholder_text != editor_colours(DARK).placeholder_text
    if backend_name == "scintilla":
        assert background == LIGHT.input
