"""Engine, sessions and column helpers shared by every package.

The request (or job) owns the transaction: `get_session` commits when the handler returns and rolls back when it
raises. Services only `flush`.
"""

from __future__ import annotations

import enum
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import Field, Session, SQLModel

from incubator.config import get_settings
from incubator.errors import AppError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Set before any table is declared so constraint names are stable on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC instant on both databases (SQLite stores no zone, so we store UTC and add it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def uuid_pk() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def instant(*, nullable: bool = False, default_now: bool = False, index: bool = False) -> Any:
    """A `*_at` column: an aware UTC datetime."""
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=nullable, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A `str` enum stored as its value in a VARCHAR with a CHECK constraint (never a native enum type)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(m.value)) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # A write transaction takes the database's write lock at BEGIN, so check-then-insert rules (no double
    # booking, gapless numbers) are serialised on SQLite the way row locks serialise them on PostgreSQL.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


# One lock per SQLite file and process, taken before BEGIN IMMEDIATE and released when the transaction ends.
# Threads of one process then take turns instead of polling SQLite's busy handler, whose sleeps grow to 100 ms
# and let the thread that just committed win again and again: with 8 threads each holding 4 ms transactions, a
# waiter starved for up to 8 s without this lock and at most 0.2-0.5 s with it, for the same throughput. Other
# processes still wait on SQLite's own lock, as before.
class _FileLock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def acquire(self) -> bool:
        me = threading.get_ident()
        if self._owner == me:
            # This thread already holds it through another connection: waiting here could only deadlock, so
            # SQLite's busy timeout decides, exactly as without this lock.
            return False
        # Bounded, so nothing can wait on it forever; SQLite's own busy timeout still applies afterwards.
        if self._lock.acquire(timeout=15):
            self._owner = me
            return True
        return False

    def release(self) -> None:
        self._owner = None
        self._lock.release()


_LOCK_FLAG = "incubator_sqlite_lock"
_file_locks: dict[str, _FileLock] = {}
_file_locks_guard = threading.Lock()


def _file_lock(url: str) -> _FileLock:
    key = str(sa.make_url(url).database or url)
    with _file_locks_guard:
        return _file_locks.setdefault(key, _FileLock())


def _queue_for_sqlite(engine: Engine, lock: _FileLock) -> None:
    def take(conn: Any) -> None:
        info = conn.connection.info
        if not info.get(_LOCK_FLAG) and lock.acquire():
            info[_LOCK_FLAG] = True

    def give_back(info: dict[str, Any] | None) -> None:
        if info is not None and info.pop(_LOCK_FLAG, False):
            lock.release()

    def on_pool_event(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        give_back(getattr(record, "info", None))

    # Listened to before BEGIN IMMEDIATE is, so the lock is taken first. Given back at COMMIT or ROLLBACK, and
    # also whenever the connection is returned, closed or thrown away, so a failure cannot leave it taken.
    event.listen(engine, "begin", take)

    def on_end(conn: Any) -> None:
        # An invalidated connection gave the lock back when it was thrown away; touching it would reconnect.
        if not conn.invalidated:
            give_back(conn.connection.info)

    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)
    for name in ("checkin", "close", "invalidate", "soft_invalidate", "detach"):
        event.listen(engine.pool, name, on_pool_event)


def create_db_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 15},
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        # pysqlite's own transaction handling is switched off so SQLAlchemy's BEGIN is the one that runs.
        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        _queue_for_sqlite(engine, _file_lock(url))
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return sa.create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


@lru_cache
def _engine_for(url: str, echo: bool, pool_size: int) -> Engine:
    return create_db_engine(url, echo=echo, pool_size=pool_size)


def get_engine() -> Engine:
    settings = get_settings()
    return _engine_for(settings.sqlalchemy_url, settings.sql_echo, settings.pool_size)


def is_postgres(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


_session_factory: Callable[[], Session] | None = None


def use_session_factory(factory: Callable[[], Session] | None) -> None:
    """Bind every new session elsewhere (tests bind them to a connection whose transaction they roll back)."""
    global _session_factory
    _session_factory = factory


def new_session() -> Session:
    if _session_factory is not None:
        return _session_factory()
    return Session(get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """Request-scoped session: commit when the handler returns, roll back when it raises."""
    with new_session() as session:
        try:
            yield session
            session.commit()
        except AppError as exc:
            if exc.keep_changes:
                session.commit()
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """The same transaction rule for jobs and CLI commands. A given session is used as is (tests pass theirs)."""
    if session is not None:
        # A savepoint, so a failing job rolls back its own work and leaves the caller's transaction usable.
        with session.begin_nested():
            yield session
        return
    with new_session() as own:
        try:
            yield own
            own.commit()
        except BaseException:
            own.rollback()
            raise
