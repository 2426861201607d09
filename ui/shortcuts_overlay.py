"""The shortcuts overlay (`?` / F1): every action and its keys, grouped, read from the registry."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.actions import ActionRegistry


class ShortcutsOverlay(QDialog):
    """A non-modal sheet listing shortcuts; Esc or Enter closes it."""

    def __init__(self, registry: ActionRegistry, parent: QWidget) -> None:
        super().__init__(parent)
        self._registry = registry
        self.setObjectName("shortcutsOverlay")
        self.setAccessibleName("Keyboard shortcuts")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 520)

        intro = QLabel(
            "Everything FlowPilot does is on the keyboard. Ctrl+K finds any action by name.",
            self,
        )
        intro.setWordWrap(True)
        intro.setObjectName("shortcutsIntro")

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("shortcutsList")
        self.tree.setAccessibleName("Shortcuts by category")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.setObjectName("shortcutsButtons")
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("shortcutsClose")
        close.setAccessibleName("Close shortcuts")
        buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        registry.sig_actions_changed.connect(self._populate)
        self._populate()

    def rows(self) -> list[tuple[str, str, str]]:
        """(category, action text, keys) as shown, for tests and screen readers."""
        result = []
        for top in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(top)
            for child in range(group.childCount()):
                item = group.child(child)
                result.append((group.text(0), item.text(0), item.text(1)))
        return result

    def _populate(self) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in self._registry.specs():
            group = groups.get(spec.category)
            if group is None:
                group = QTreeWidgetItem(self.tree, [spec.category, ""])
                group.setFirstColumnSpanned(True)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                groups[spec.category] = group
            QTreeWidgetItem(
                group, [spec.text.replace("&", ""), self._registry.shortcut_text(spec.id) or "—"]
            )
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
