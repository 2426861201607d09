"""Where FlowPilot keeps its files: platformdirs by default, one folder with ``--data-dir``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flowpilot_desktop import APP_NAME

DATABASE_FILENAME = "flowpilot.sqlite3"


@dataclass(frozen=True)
class AppPaths:
    """The folders the app writes to. Secrets are never written to any of them."""

    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def database_file(self) -> Path:
        return self.data_dir / DATABASE_FILENAME

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def window_state_file(self) -> Path:
        return self.config_dir / "window.ini"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "flowpilot.log"

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> AppPaths:
        """Everything under one folder (``--data-dir``, tests, the demo)."""
        data_dir = data_dir.expanduser().resolve()
        return cls(data_dir=data_dir, config_dir=data_dir / "config", log_dir=data_dir / "logs")

    @classmethod
    def default(cls) -> AppPaths:
        """The platform's user folders (e.g. ~/.local/share/FlowPilot Desktop on Linux)."""
        import platformdirs

        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> None:
        for folder in (self.data_dir, self.config_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
