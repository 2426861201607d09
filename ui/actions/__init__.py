"""Every user action, declared per area next to what it acts on (napari's ``_app_model``
actions are the model), and the one registry that menus, the palette and the shortcuts
overlay read. ``enabled_when`` reads the session model, never another widget's state."""

from ui.actions.registry import ActionRegistry, ActionSpec

__all__ = ["ActionRegistry", "ActionSpec"]
