"""Document numbers: consecutive per type and year, restart each year, prefixes, no duplicates.

The concurrency test runs on the suite's real database (a SQLite file, or PostgreSQL with
TEST_DATABASE_URL): 50 threads, each in its own app context, session and transaction, all start
together on a counter that does not exist yet, so they also race to create it.
"""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import update

from app.extensions import db
from app.models.core import DocumentSequence
from app.services.sequences import next_number, peek

THREADS = 50


def test_numbers_are_consecutive_with_the_given_prefix(session):
    taken = [next_number(session, "receipt", date(2026, 3, 1), prefix="GR") for _ in range(3)]
    session.commit()
    assert taken == ["GR-2026-00001", "GR-2026-00002", "GR-2026-00003"]
    assert peek(session, "receipt", 2026) == 4


def test_default_prefix_is_the_type_abbreviated(session):
    assert next_number(session, "invoice", date(2026, 1, 1)) == "INV-2026-00001"


def test_each_year_restarts_and_the_old_year_continues(session):
    assert next_number(session, "receipt", date(2026, 12, 31), prefix="GR") == "GR-2026-00001"
    assert next_number(session, "receipt", date(2026, 12, 31)) == "GR-2026-00002"
    assert next_number(session, "receipt", date(2027, 1, 1)) == "GR-2027-00001"
    assert next_number(session, "receipt", date(2026, 12, 30)) == "GR-2026-00003"
    assert next_number(session, "receipt", date(2027, 1, 2)) == "GR-2027-00002"


def test_a_new_year_keeps_the_prefix_and_padding_set_in_the_settings(session):
    next_number(session, "receipt", date(2026, 6, 1))
    session.execute(
        update(DocumentSequence)
        .where(DocumentSequence.doc_type == "receipt")
        .values(prefix="RC", padding=3)
    )
    assert next_number(session, "receipt", date(2026, 6, 2)) == "RC-2026-002"
    assert next_number(session, "receipt", date(2027, 1, 1)) == "RC-2027-001"


def test_an_empty_prefix_gives_no_leading_dash(session):
    assert next_number(session, "note", date(2026, 2, 2), prefix="") == "2026-00001"


def test_a_rolled_back_number_is_handed_out_again(session):
    first = next_number(session, "receipt", date(2026, 1, 5), prefix="GR")
    session.commit()
    lost = next_number(session, "receipt", date(2026, 1, 5))
    session.rollback()
    assert next_number(session, "receipt", date(2026, 1, 5)) == lost != first


def test_concurrent_transactions_get_distinct_consecutive_numbers(app):
    url = db.engine.url
    assert url.get_backend_name() == "postgresql" or url.database not in (None, "", ":memory:")
    db.session.remove()  # this thread holds no transaction while the workers write
    start = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        with app.app_context():
            try:
                start.wait()
                number = next_number(db.session, "receipt", date(2026, 5, 5), prefix="GR")
                db.session.commit()
                with lock:
                    numbers.append(number)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                with lock:
                    errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(numbers) == [f"GR-2026-{n:05d}" for n in range(1, THREADS + 1)]
    assert peek(db.session, "receipt", 2026) == THREADS + 1
    assert db.session.query(DocumentSequence).filter_by(doc_type="receipt", year=2026).count() == 1
