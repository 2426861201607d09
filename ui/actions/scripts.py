"""The fix's script and the team's library (SPEC §7, §9, §11)."""

from __future__ import annotations

from ui.actions.registry import ActionSpec
from ui.script_builder.controller import ScriptBuilderController
from ui.script_builder.standalone import StandaloneBuilderController
from ui.scripts.controller import ScriptsController
from ui.session_state import SessionState


def script_actions(
    scripts: ScriptsController,
    builder: ScriptBuilderController,
    standalone: StandaloneBuilderController,
    state: SessionState,
) -> list[ActionSpec]:
    return [
        ActionSpec(
            "scripts.builder",
            "Script &Builder ⇄ Chat",
            "Scripts",
            builder.toggle,
            ("Ctrl+Shift+B",),
            enabled_when=lambda: state.current is not None,
            description="Write the fix's script with the assistant or by hand; again: back",
            keywords=("script", "builder", "write", "powershell", "bash"),
        ),
        ActionSpec(
            "scripts.standalone",
            "S&tandalone Script Builder…",
            "Scripts",
            standalone.open,
            description="Scripts written outside a session (up to 5 open), saved as templates",
            keywords=("script", "builder", "write", "standalone", "new"),
        ),
        ActionSpec(
            "scripts.generator",
            "Script &generator for the fix",
            "Scripts",
            lambda: scripts.toggle_generator(state.active_fix),
            ("Ctrl+G",),
            enabled_when=lambda: state.current is not None,
            description="Show or hide the script of the suggested fix",
            keywords=("template", "match", "parameters", "script"),
        ),
        ActionSpec(
            "scripts.library",
            "Go to &Scripts",
            "Scripts",
            scripts.show_library,
            ("Alt+4",),
            description="The team's script templates: browse, search, generate, edit",
            keywords=("library", "templates", "search"),
        ),
        ActionSpec(
            "scripts.new",
            "&New script template…",
            "Scripts",
            lambda: scripts.new_template(),
            keywords=("create", "template", "library"),
        ),
        ActionSpec(
            "scripts.review",
            "&Review drafted scripts…",
            "Scripts",
            lambda: scripts.review_drafts(),
            enabled_when=lambda: scripts.pending_count > 0,
            description="Scripts run in sessions, waiting to become team templates",
            keywords=("templatize", "drafts", "pending"),
        ),
    ]
