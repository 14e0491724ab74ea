"""On SQLite, threads of one process queue for the database in turn, and the queue never stays taken."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from incubator.db import create_db_engine


def _engine(tmp_dir: Path, name: str) -> sa.Engine:
    path = tmp_dir / f"queue-{name}.db"
    path.unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    return engine


def _in_other_thread_within(engine: sa.Engine, seconds: float) -> bool:
    """Whether another thread can run a transaction within `seconds`."""
    done = threading.Event()

    def work() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE counter SET n = n + 1")
        done.set()

    threading.Thread(target=work, daemon=True).start()
    return done.wait(seconds)


@pytest.mark.parametrize("ending", ["commit", "rollback", "error", "invalidate"])
def test_the_queue_is_free_again_however_a_transaction_ends(tmp_dir: Path, ending: str) -> None:
    engine = _engine(tmp_dir, ending)
    try:
        conn = engine.connect()
        conn.exec_driver_sql("UPDATE counter SET n = n + 1")
        if ending == "commit":
            conn.commit()
        elif ending == "rollback":
            conn.rollback()
        elif ending == "error":
            with pytest.raises(sa.exc.OperationalError):
                conn.exec_driver_sql("SELECT * FROM no_such_table")
            conn.rollback()
        else:
            conn.invalidate()  # a broken connection is thrown away mid-transaction
            conn.rollback()
        conn.close()

        assert _in_other_thread_within(engine, 5), f"the queue stayed taken after {ending}"
    finally:
        engine.dispose()


def test_concurrent_transactions_of_one_process_all_complete_in_turn(tmp_dir: Path) -> None:
    engine = _engine(tmp_dir, "many")
    try:

        def work() -> None:
            for _ in range(20):
                with engine.begin() as conn:
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                    time.sleep(0.0005)
                    conn.exec_driver_sql("UPDATE counter SET n = ?", (n + 1,))

        threads = [threading.Thread(target=work) for _ in range(6)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

        with engine.connect() as conn:
            # Read-modify-write without lost updates: the transactions ran one at a time.
            assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 120
        assert time.monotonic() - started < 20
    finally:
        engine.dispose()
