"""Building the services over the opened (and upgraded) database: everything below the window.

Imported by ``flowpilot_desktop.app`` before anything from Qt: once PySide6 is loaded, its
import hook reads the source of every module imported after it (to look for ``__feature__``),
which made importing this Qt-free stack (SQLAlchemy, the models, the services) ~100 ms slower
at start-up.
"""

from __future__ import annotations

import getpass
import logging

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.changes import ChangeFeed
from flowpilot_desktop.conclusion.outbox_worker import OutboxWorker
from flowpilot_desktop.conclusion.posting import ConclusionService
from flowpilot_desktop.conclusion.preview import PreviewService
from flowpilot_desktop.config import ConfigStore
from flowpilot_desktop.credentials import CredentialStore
from flowpilot_desktop.database_care import DatabaseCare
from flowpilot_desktop.paths import AppPaths
from flowpilot_desktop.preferences import DatabasePreferences
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.scripts.builder import ScriptBuilderService
from flowpilot_desktop.scripts.drafts import DraftService
from flowpilot_desktop.scripts.fix_script import FixScriptService
from flowpilot_desktop.scripts.library import TemplateLibrary
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.session_export import SessionExportService
from flowpilot_desktop.sessions import SessionService
from flowpilot_desktop.settings_service import SettingsService
from flowpilot_desktop.task_lane_service import TaskLaneService
from flowpilot_desktop.tickets import TicketService
from flowpilot_desktop.time_entries import TimeEntryService, WorkTimer
from storage.database import Database
from storage.engine import create_database_engine, resolve_database_url, sqlite_file
from storage.migrate import upgrade_database

log = logging.getLogger(__name__)


def build_services(
    paths: AppPaths, *, demo: bool = False, notices: list[str] | None = None
) -> AppServices:
    """Open (and upgrade) the database and build every service the window needs."""
    config_store = ConfigStore(paths.config_file)
    config = config_store.load()
    url = resolve_database_url(paths.database_file, config.database_url)
    engine = create_database_engine(url)
    try:
        result = upgrade_database(engine, paths.backup_dir)
    except BaseException:
        engine.dispose()  # nothing keeps the file open: a restore can replace it
        raise
    if result.set_aside_path is not None and notices is not None:
        notices.append(
            "An earlier FlowPilot left an unfinished database; it was kept as "
            f"{result.set_aside_path.name} and a fresh one was made."
        )
    if result.upgraded:
        log.info(
            "database upgraded %s -> %s (backup: %s)",
            result.from_revision,
            result.to_revision,
            result.backup_path,
        )
    database = Database(engine, paths.backup_dir)
    user_id = local_user_id()
    if demo:
        from flowpilot_desktop.demo import seed_demo_sessions

        seed_demo_sessions(database, user_id)
    file = sqlite_file(url)
    credentials = CredentialStore()  # one store: run-only secrets are shared by every service
    preferences = DatabasePreferences(database)
    psa = PsaAccess(config_store, credentials)
    tickets = TicketService(database, psa)
    chat = ChatService(
        database,
        credentials,
        config_store,
        preferences,
        paths.data_dir / "attachments",
        ticket_for_chat=tickets.ready_for_chat,
    )
    task_lane = TaskLaneService(database, chat.synthesize)
    changes = ChangeFeed(database)
    outbox = OutboxWorker(database, psa, changes.sync_moved)
    work_timer = WorkTimer(database)
    return AppServices(
        paths=paths,
        database=database,
        sessions=SessionService(database, user_id),
        settings=SettingsService(config_store, credentials, preferences),
        chat=chat,
        task_lane=task_lane,
        psa=psa,
        tickets=tickets,
        previews=PreviewService(database, chat.write_note),
        conclusion=ConclusionService(database, task_lane, preferences, outbox.wake),
        outbox=outbox,
        changes=changes,
        templates=TemplateLibrary(database),
        fix_scripts=FixScriptService(database, chat.ask_template_extraction),
        drafts=DraftService(database, preferences, user_id),
        script_builder=ScriptBuilderService(database, user_id, chat.write_script),
        database_care=DatabaseCare(paths),
        export=SessionExportService(database),
        work_timer=work_timer,
        time_entries=TimeEntryService(database, work_timer, preferences, psa, outbox.wake),
        database_label=str(file) if file else engine.url.render_as_string(hide_password=True),
    )


def local_user_id() -> str:
    """Who owns the sessions on this machine: the OS login (stable across settings changes)."""
    try:
        return getpass.getuser() or "technician"
    except (KeyError, OSError):
        return "technician"
