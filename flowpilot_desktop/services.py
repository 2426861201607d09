"""What the composition root hands the window: the services, built once per run."""

from __future__ import annotations

from dataclasses import dataclass

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.changes import ChangeFeed
from flowpilot_desktop.conclusion.outbox_worker import OutboxWorker
from flowpilot_desktop.conclusion.posting import ConclusionService
from flowpilot_desktop.conclusion.preview import PreviewService
from flowpilot_desktop.database_care import DatabaseCare
from flowpilot_desktop.paths import AppPaths
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.scripts.builder import ScriptBuilderService
from flowpilot_desktop.scripts.drafts import DraftService
from flowpilot_desktop.scripts.fix_script import FixScriptService
from flowpilot_desktop.scripts.library import TemplateLibrary
from flowpilot_desktop.session_export import SessionExportService
from flowpilot_desktop.sessions import SessionService
from flowpilot_desktop.settings_service import SettingsService
from flowpilot_desktop.task_lane_service import TaskLaneService
from flowpilot_desktop.tickets import TicketService
from flowpilot_desktop.time_entries import TimeEntryService, WorkTimer
from storage.database import Database


@dataclass(frozen=True)
class AppServices:
    paths: AppPaths
    database: Database
    sessions: SessionService
    settings: SettingsService
    chat: ChatService
    task_lane: TaskLaneService
    psa: PsaAccess
    tickets: TicketService
    previews: PreviewService
    conclusion: ConclusionService
    outbox: OutboxWorker  # started by the window once the event loop runs
    changes: ChangeFeed  # background writes (the outbox worker), for the window to show
    templates: TemplateLibrary
    fix_scripts: FixScriptService
    drafts: DraftService
    script_builder: ScriptBuilderService
    database_care: DatabaseCare  # daily copies, restore at the next start
    export: SessionExportService  # a session as Markdown, and its posted notes read back
    work_timer: WorkTimer  # active work per session (time entries)
    time_entries: TimeEntryService  # drafted from the timer, queued for the outbox worker
    # Where the data lives, as shown to the technician (a file path or a redacted URL).
    database_label: str

    def close(self) -> None:
        """Finish queued database work and release the database."""
        self.database.close()
