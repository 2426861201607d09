"""The standalone Script Builder (Scripts → Standalone Script Builder…): scripts written
outside any session, at most a few open per technician, each one kept until closed and
offered to the team library as a template. A session's own builder never shows here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.builder import BuilderView
from flowpilot_desktop.scripts.library import TemplateDraft
from flowpilot_desktop.services import AppServices
from ui.ops import TaskRunner, describe_error
from ui.script_builder.binding import BuilderBinding
from ui.script_builder.panel import AI_MODE, EDITOR_MODE, ScriptBuilderPanel
from ui.widgets.screen import available_geometry

TARGET = "A standalone script: save it as a team template when it is ready."


class StandaloneBuilderWindow(QDialog):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("standaloneBuilder")
        self.setWindowTitle("Script Builder — standalone scripts")
        self.scripts_list = QListWidget(self)
        self.scripts_list.setObjectName("standaloneScriptsList")
        self.scripts_list.setAccessibleName("Open standalone scripts")
        self.new_button = QPushButton("&New script", self)
        self.new_button.setObjectName("standaloneNewScript")
        self.new_button.setAccessibleName("Start a new standalone script")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.scripts_list, 1)
        left_layout.addWidget(self.new_button)
        self.panel = ScriptBuilderPanel(self, standalone=True)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 680])
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        screen = available_geometry(parent)
        self.resize(min(960, screen.width() - 40), min(640, screen.height() - 60))


class StandaloneBuilderController(QObject):
    sig_message = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        services: AppServices,
        runner: TaskRunner,
        save_as_template: Callable[[TemplateDraft], None],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._services = services
        self._runner = runner
        self._save_as_template = save_as_template
        self.window: StandaloneBuilderWindow | None = None
        self._views: dict[str, BuilderView] = {}

    def open(self) -> None:
        """Show the window with the open scripts (a first one is started when none is)."""
        if self.window is None:
            window = StandaloneBuilderWindow(self._parent)
            window.new_button.clicked.connect(self.new_script)
            window.scripts_list.currentItemChanged.connect(self._selected)
            window.panel.sig_close.connect(self.close_script)
            window.panel.sig_save_template.connect(self._template)
            binding = BuilderBinding(window.panel, self._services.script_builder, self._runner)
            binding.sig_changed.connect(self._changed)
            self.window = window
        self.window.show()
        self.window.raise_()
        self._reload(then_new_if_empty=True)

    def new_script(self) -> None:
        window = self.window
        if window is None:
            return
        self._runner.run(
            self._services.script_builder.new_standalone(),
            on_success=lambda view: self._reload(select=view.id),
            on_failure=lambda error: window.panel.show_status(describe_error(error), error=True),
            owner=self,
        )

    def close_script(self) -> None:
        window = self.window
        builder = window.panel.builder if window is not None else None
        if builder is None:
            return
        self._runner.run(
            self._services.script_builder.close_standalone(builder.id),
            on_success=lambda _none: self._closed(builder.title),
            title="Could not close the script",
            owner=self,
        )

    # ---- Private

    def _closed(self, title: str) -> None:
        self.sig_message.emit(f"Closed the standalone script “{title}”.")
        self._reload()

    def _reload(self, select: str | None = None, *, then_new_if_empty: bool = False) -> None:
        def show(views: list[BuilderView]) -> None:
            window = self.window
            if window is None:
                return
            if not views and then_new_if_empty:
                self.new_script()
                return
            current = window.panel.builder.id if window.panel.builder else None
            wanted = select or current
            self._views = {view.id: view for view in views}
            window.scripts_list.blockSignals(True)
            window.scripts_list.clear()
            for view in views:
                item = QListWidgetItem(view.title)  # QListWidget items are plain text
                item.setData(Qt.ItemDataRole.UserRole, view.id)
                window.scripts_list.addItem(item)
                if view.id == wanted:
                    window.scripts_list.setCurrentItem(item)
            window.scripts_list.blockSignals(False)
            if window.scripts_list.currentItem() is None and views:
                window.scripts_list.setCurrentRow(0)
            else:
                self._selected(window.scripts_list.currentItem(), None)

        self._runner.run(
            self._services.script_builder.standalone(),
            on_success=show,
            title="Could not list the standalone scripts",
            owner=self,
        )

    def _selected(self, item: QListWidgetItem | None, _previous: object) -> None:
        window = self.window
        if window is None:
            return
        view = self._views.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        if view is None:
            window.panel.builder = None
            window.panel.set_target("No script open: New script starts one.")
            return
        if window.panel.builder is not None and window.panel.builder.id == view.id:
            return
        window.panel.show_builder(view, TARGET)
        window.panel.set_mode(EDITOR_MODE if view.script and not view.messages else AI_MODE)

    def _changed(self, view: BuilderView) -> None:
        self._views[view.id] = view
        window = self.window
        if window is None:
            return
        for row in range(window.scripts_list.count()):
            item = window.scripts_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == view.id:
                item.setText(view.title)

    def _template(self, script: str, language: str) -> None:
        window = self.window
        builder = window.panel.builder if window is not None else None
        if builder is None:
            return
        self._save_as_template(
            TemplateDraft(
                name=builder.title,
                category="",
                description="",
                language=language,
                body=script,
                parameters=[],
            )
        )
