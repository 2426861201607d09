"""The Scripts view (its own dock): the team's template library.

Browse by category and search on the left; on the right, Generate (the typed form, render,
copy) and Edit (the template editor) for the selected template. The "N scripts ready to
review" badge opens the pending draft templates. Every query and write is the controller's;
this widget only shows and asks.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.library import TemplateRecord
from ui.safe_text import plain_label, plain_tooltip
from ui.scripts.generator import GeneratorPanel
from ui.scripts.template_editor import TemplateEditor
from ui.widgets.editing import retire
from ui.widgets.labels import meta_label

SEARCH_DEBOUNCE_MS = 200
ALL_CATEGORIES = "All categories"
GENERATE_TAB, EDIT_TAB = 0, 1


def badge_text(count: int) -> str:
    return f"{count} script{'s' if count != 1 else ''} ready to review"


class ScriptsView(QWidget):
    sig_query = Signal()
    """The search or the category filter changed: list the matching templates."""
    sig_generate = Signal(str, dict)
    """(template id, values) from the Generate tab."""
    sig_review_drafts = Signal()
    """The badge was pressed: review the pending draft templates."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptsView")
        self.records: dict[str, TemplateRecord] = {}
        self.generator: GeneratorPanel | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("scriptSearch")
        self.search_edit.setAccessibleName("Search the team's templates")
        self.search_edit.setPlaceholderText("Search templates")
        self.search_edit.setClearButtonEnabled(True)
        self.category_filter = QComboBox(self)
        self.category_filter.setObjectName("scriptCategoryFilter")
        self.category_filter.setAccessibleName("Show the templates of this category")
        self.category_filter.addItem(ALL_CATEGORIES, None)
        self.new_button = QPushButton("New template", self)
        self.new_button.setObjectName("newTemplate")
        self.new_button.setAccessibleName("New template")
        top.addWidget(self.search_edit, 2)
        top.addWidget(self.category_filter, 1)
        top.addWidget(self.new_button)
        layout.addLayout(top)
        self.badge = QPushButton("", self)
        self.badge.setObjectName("draftsBadge")
        self.badge.setAccessibleName("Review the scripts drafted in sessions")
        self.badge.clicked.connect(self.sig_review_drafts)
        self.badge.hide()
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget(left)
        self.list.setObjectName("templateList")
        self.list.setAccessibleName("Templates")
        self.list.currentItemChanged.connect(lambda item, _old: self._selected(item))
        self.empty = plain_label("", left, "templateListEmpty")
        self.empty.setProperty("role", "empty-state")
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.list, 1)
        self.tabs = QTabWidget(splitter)
        self.tabs.setObjectName("scriptTabs")
        self.generate_page = QWidget(self.tabs)
        self._generate_layout = QVBoxLayout(self.generate_page)
        self.session_note = meta_label("", self.generate_page, "generateSessionNote")
        self._generate_layout.addWidget(self.session_note)
        self._placeholder = meta_label(
            "Pick a template on the left to fill in its values.", self.generate_page
        )
        self._generate_layout.addWidget(self._placeholder)
        self._generate_layout.addStretch(1)
        self.editor = TemplateEditor(self.tabs)
        # scrolling pages: the dock never forces a minimum height on the window
        self.tabs.addTab(_scrolling(self.generate_page, self.tabs), "&Generate")
        self.tabs.addTab(_scrolling(self.editor, self.tabs), "&Edit")
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 500])
        layout.addWidget(splitter, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.query)
        self.search_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.category_filter.currentIndexChanged.connect(lambda _i: self.query())
        self.set_session_title(None)

    # ---- Public

    def query(self) -> None:
        self.sig_query.emit()

    def set_templates(self, records: list[TemplateRecord], select_id: str | None = None) -> None:
        keep = select_id or self.selected_id()
        self.records = {r.id: r for r in records}
        self.list.blockSignals(True)
        self.list.clear()
        for record in records:
            item = QListWidgetItem(
                f"{record.name}\n{record.category or 'Uncategorised'} · {record.language}"
            )
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            item.setToolTip(plain_tooltip(record.description))
            self.list.addItem(item)
        self.list.blockSignals(False)
        searching = bool(self.search_edit.text().strip() or self.category_filter.currentData())
        self.empty.setText(
            "No template matches."
            if searching
            else "No team templates yet. Press “New template”, or resolve a session whose "
            "script you chose to templatize."
        )
        self.empty.setVisible(not records)
        self.list.setVisible(bool(records))
        row = next((i for i, r in enumerate(records) if r.id == keep), 0 if records else -1)
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        # a new template being written is never replaced by a refresh of the list
        writing = self.editor.template_id is None and self.tabs.currentIndex() == EDIT_TAB
        self._selected(self.list.currentItem(), load_editor=not writing)

    def set_categories(self, categories: list[tuple[str, str]]) -> None:
        current = self.category_filter.currentData()
        self.category_filter.blockSignals(True)
        self.category_filter.clear()
        self.category_filter.addItem(ALL_CATEGORIES, None)
        for category_id, name in categories:
            self.category_filter.addItem(name, category_id)
        self.category_filter.setCurrentIndex(max(self.category_filter.findData(current), 0))
        self.category_filter.blockSignals(False)
        self.editor.set_categories([name for _id, name in categories])

    def set_pending_drafts(self, count: int) -> None:
        self.badge.setText(badge_text(count))
        self.badge.setVisible(count > 0)

    def set_session_title(self, title: str | None) -> None:
        self.session_note.setText(
            f"Scripts you generate here are recorded in the session “{title}” (secret values "
            "masked)."
            if title
            else "No session is selected: generated scripts are recorded without one."
        )

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def selected(self) -> TemplateRecord | None:
        template_id = self.selected_id()
        return self.records.get(template_id) if template_id else None

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    # ---- Private

    def _selected(self, item: QListWidgetItem | None, *, load_editor: bool = True) -> None:
        record = self.records.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        if self.generator is not None:
            retire(self.generator)
            self.generator = None
        self._placeholder.setVisible(record is None)
        if record is None:
            if load_editor and self.editor.template_id is not None:
                self.editor.load(None, self._category_names())
            return
        self.generator = GeneratorPanel(record, None, self.generate_page)
        self.generator.sig_generate.connect(self.sig_generate)
        self._generate_layout.insertWidget(1, self.generator, 1)
        if load_editor:
            self.editor.load(record, self._category_names())

    def _category_names(self) -> list[str]:
        return [self.category_filter.itemText(i) for i in range(1, self.category_filter.count())]


def _scrolling(page: QWidget, parent: QWidget) -> QScrollArea:
    scroll = QScrollArea(parent)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the page's fields are the Tab stops
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(page)
    return scroll


class ScriptsDock(QDockWidget):
    """The library's dock. Its view (the template editor and its code editor among it) is built
    the first time it is needed, shown or asked for: at start-up the dock is a tab behind the
    chat, and building it then cost the first paint ~50 ms (Scintilla's library included)."""

    sig_view_built = Signal(object)
    """The ScriptsView now exists (once)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scripts", parent)
        self.setObjectName("scriptsDock")
        self.setAccessibleName("Scripts: the team's template library")
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self._view: ScriptsView | None = None
        self._pending_drafts = 0
        placeholder = QWidget(self)
        placeholder.setObjectName("scriptsPlaceholder")
        self.setWidget(placeholder)
        self.visibilityChanged.connect(lambda shown: shown and self.view)

    @property
    def view(self) -> ScriptsView:
        if self._view is None:
            self._view = ScriptsView(self)
            self._view.set_pending_drafts(self._pending_drafts)
            self.setWidget(self._view)
            self.sig_view_built.emit(self._view)
        return self._view

    @property
    def view_built(self) -> bool:
        return self._view is not None

    def set_pending_drafts(self, count: int) -> None:
        self._pending_drafts = count
        if self._view is not None:
            self._view.set_pending_drafts(count)
        self.setWindowTitle(f"Scripts ({count} to review)" if count else "Scripts")
