"""A real, throw-away PostgreSQL server for tests (Debian's `postgresql` package).

initdb in a fresh temporary directory, a unix socket in that directory only (no TCP), trust
authentication, and the server runs as the `postgres` user when we are root (PostgreSQL refuses
to run as root). `restart()` and `terminate_connections()` are the faults the scale-out tests
inject; `stop()` removes everything.
"""

from __future__ import annotations

import os
import pwd
import random
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path


def bindir() -> Path | None:
    """Where initdb and pg_ctl live (pg_config, or the newest /usr/lib/postgresql/*/bin)."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class PostgresServer:
    def __init__(self) -> None:
        self.bin = bindir()
        self.dir: Path | None = None
        self.port = random.randint(20000, 60000)
        self.user: str | None = None

    def _as_owner(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run(
            [*prefix, *cmd], capture_output=True, text=True, check=check, timeout=120
        )

    @property
    def data(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    def start(self) -> PostgresServer:
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.dir = Path(tempfile.mkdtemp(prefix="pat-pg-"))
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._as_owner(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self._ctl("start", "-w", "-t", "60", "-l", str(self.dir / "log"))
        return self

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        self._as_owner(str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-o", options,
                       *extra)  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.dir}&port={self.port}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = self._as_owner(
            str(self.bin / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
            "-d", database, "-At", "-c", sql,
        )  # fmt: skip
        return out.stdout

    def new_database(self) -> str:
        name = f"pat_{uuid.uuid4().hex[:10]}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def restart(self) -> None:
        """A fast restart: every connection is cut, the data stays."""
        self._ctl("restart", "-w", "-t", "60", "-m", "fast", "-l", str(self.dir / "log"))

    def terminate_connections(self, database: str) -> int:
        out = self.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        return int(out.strip() or 0)

    def stop(self) -> None:
        if self.dir is None:
            return
        if self.bin is not None and (self.data / "postmaster.pid").exists():
            self._as_owner(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m",
                           "immediate", check=False)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
