"""A data folder with years of history, built through the app's own schema (Alembic migrations,
then bulk inserts into the ORM tables): the benchmarks measure against it.

By default 10,000 sessions and 200,000 messages: most sessions hold a short conversation, the
newest ``big_sessions`` hold ``big_messages`` each (the long conversations that must still open
at once).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

STATUSES = ("active", "paused", "resolved", "escalated")

_USER_TURNS = (
    "User says Outlook keeps asking for her password since this morning. OWA works.",
    "Teams prompts too. Credential Manager shows two MicrosoftOffice16 entries.",
    "Ran `cmdkey /list` — output pasted below:\n\n```\nTarget: MicrosoftOffice16_Data:SSPI\n"
    "Type: Generic\nUser: jdoe@contoso.example\n```",
    "Rebooted, still prompting. Event log shows AAD errors 1098.",
)
_ASSISTANT_TURNS = (
    "That pattern usually points at a **stale token** in the Web Account Manager rather than "
    "the mailbox. Let's confirm which credential store Outlook is using.\n\n"
    "1. Does Teams prompt for the password too?\n2. Is the device Azure AD joined?",
    "Two stale entries explain it. Remove them and sign in once:\n\n```powershell\n"
    "cmdkey /list | Select-String MicrosoftOffice16 | ForEach-Object {\n"
    "    cmdkey /delete:($_ -replace '.*Target: ', '')\n}\n```\n\nThen restart Outlook.",
    "AAD error 1098 means the token broker could not reach the key: check `dsregcmd /status` "
    "for **AzureAdPrt : YES** and, if it says NO, run `dsregcmd /refreshprt` as the user.",
    "Good news. If it comes back after the next Windows update, the WAM plugin cache "
    "(`%LOCALAPPDATA%\\Packages\\Microsoft.AAD.BrokerPlugin_*`) is the next place to look.",
)


def message_text(role: str, n: int) -> str:
    turns = _USER_TURNS if role == "user" else _ASSISTANT_TURNS
    return turns[n % len(turns)]


def build_data_dir(
    data_dir: Path,
    sessions: int = 10_000,
    messages: int = 200_000,
    *,
    big_sessions: int = 50,
    big_messages: int = 200,
) -> Path:
    """Create ``data_dir`` holding that history; returns the database file."""
    from sqlalchemy import insert

    from flowpilot_desktop.composition import local_user_id
    from flowpilot_desktop.paths import AppPaths
    from storage.engine import create_database_engine
    from storage.migrate import upgrade_database
    from storage.models import AiSession, Message
    from storage.search import rebuild

    paths = AppPaths.for_data_dir(data_dir)
    paths.ensure()
    engine = create_database_engine(f"sqlite:///{paths.database_file}")
    upgrade_database(engine, backup_dir=None)
    now = datetime.now(UTC)
    user = local_user_id()
    big_sessions = min(big_sessions, sessions)
    small_total = max(0, messages - big_sessions * big_messages)
    small_sessions = max(1, sessions - big_sessions)
    per_small, extra = divmod(small_total, small_sessions)
    session_rows = []
    message_rows: list[dict[str, object]] = []
    with engine.begin() as connection:
        for n in range(sessions):
            session_id = str(uuid.uuid4())
            started = now - timedelta(minutes=30 * n + 5)
            session_rows.append(
                {
                    "id": session_id,
                    "user_id": user,
                    "title": f"Session {n}: user reports intermittent issue #{n % 97}",
                    "ticket_ref": str(40000 + n) if n % 3 else None,
                    "status": STATUSES[n % len(STATUSES)],
                    "state_version": 0,
                    "last_activity_at": started + timedelta(minutes=4),
                    "created_at": started,
                    "updated_at": started,
                }
            )
            if n < big_sessions:
                count = big_messages
            else:
                count = per_small + (1 if n - big_sessions < extra else 0)
            for m in range(count):
                role = "user" if m % 2 == 0 else "assistant"
                text = message_text(role, m // 2 + n)
                message_rows.append(
                    {
                        "id": str(uuid.uuid4()),
                        "session_id": session_id,
                        "role": role,
                        "content": text,
                        "raw_content": text,
                        "model": None if role == "user" else "claude-sonnet-4-5",
                        "created_at": started + timedelta(seconds=m),
                        "updated_at": started + timedelta(seconds=m),
                    }
                )
            if len(message_rows) >= 20_000:  # sessions first: messages point at them
                connection.execute(insert(AiSession), session_rows)
                connection.execute(insert(Message), message_rows)
                session_rows, message_rows = [], []
        if session_rows:
            connection.execute(insert(AiSession), session_rows)
        if message_rows:
            connection.execute(insert(Message), message_rows)
        rebuild(connection)  # bulk inserts go around the ORM hook that keeps search current
    engine.dispose()
    return paths.database_file
