"""Client base benchmarks: the partner list and its searches at 100,000 partners, the client card with
1,000 documents, measured through the Flask test client (routing, permissions, templates included).

    P1 list        /partnerview/list/ first page, a middle page, sorted by name
    P2 search      name (normalised prefix, index), name contains (scan), phone in another format,
                   e-mail in another case, tax id, role + tag filters
    P3 card        /partnerview/card/<id> of a partner with 500 deals and 500 activities (1,000 documents)
    P4 duplicates  save_partner's duplicate check against 100,000 partners (the service call)

Each figure is the p95 (and median) of REPS requests, with the SQL statements one request sends.
Partners are inserted in bulk (Core INSERT, no audit rows): the bench measures reads.

Run alone:  python -m bench.partners [--pg URL] [--n 100000]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal

from bench.harness import MS, PhaseOutput, Result

GOAL_MS = 300.0
REPS = 40
CARD_DEALS = 500
CARD_ACTIVITIES = 500
WORDS = ["Робо", "Техно", "Умник", "Кванто", "Ардуино", "Мега", "Инжене", "Конструкто", "Escuela", "Robótica",
         "Chip", "Motor", "Plast", "Sens", "Электро", "Микро", "Лего", "Кибер", "Нано", "Servo"]
SUFFIXES = ["школа", "центр", "клуб", "лаб", "S.L.", "LLC", "ООО", "АНО", "групп", "мастерская"]


def _seed(n: int, rng: random.Random) -> dict:
    """`n` partners (a fifth of them contacts of a company), tags, users; returns look-up samples."""
    from sqlalchemy import insert, select, text

    from app.extensions import db
    from app.models.partners import Partner, Tag, partner_tag
    from app.services.partners import normalize_email, normalize_name, normalize_phone

    sm = db.session
    tags = [Tag(name=f"tag {i}") for i in range(10)]
    sm.add_all(tags)
    sm.commit()
    tag_ids = [t.id for t in tags]
    now = datetime(2026, 1, 1)
    rows, companies = [], []
    for i in range(1, n + 1):
        person = i % 5 == 0 and companies
        name = (f"Контакт {i} {rng.choice(WORDS)}" if person else
                f"{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {i} {rng.choice(SUFFIXES)}")
        phone = f"+7 ({900 + i % 99}) {i:07d}"
        email = f"Info{i}@Example{i % 97}.test"
        rows.append(dict(id=i, kind="person" if person else "company", name=name, legal_name="",
                         company_id=rng.choice(companies[-1000:]) if person else None, position="",
                         tax_id=f"{7700000000 + i}", tax_id2="", phone=phone, email=email.lower(), website="",
                         is_customer=i % 3 != 0, is_supplier=i % 7 == 0, is_carrier=i % 50 == 0, manager_id=None,
                         source="web" if i % 2 else "call", language="ru", note="", active=True, merged_into_id=None,
                         name_norm=normalize_name(name), phone_norm=normalize_phone(phone),
                         email_norm=normalize_email(email), created_at=now, updated_at=now))
        if not person:
            companies.append(i)
        if len(rows) == 5000:
            sm.execute(insert(Partner), rows)
            rows = []
    if rows:
        sm.execute(insert(Partner), rows)
    links = [{"partner_id": i, "tag_id": tag_ids[i % 10]} for i in range(1, n + 1, 5)]
    for start in range(0, len(links), 5000):
        sm.execute(insert(partner_tag), links[start:start + 5000])
    sm.commit()
    if sm.get_bind().dialect.name == "postgresql":  # what autovacuum does after a bulk load in production
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    probe = n // 2 + 1 if (n // 2 + 1) % 5 else n // 2 + 2
    name = sm.scalar(select(Partner.name).where(Partner.id == probe))
    return {"probe": probe, "name": name, "tag": tag_ids[1]}


def _card_documents(partner_id: int) -> None:
    """CARD_DEALS deals (each with its creation in the stage history) and CARD_ACTIVITIES activities."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.crm import Activity, Deal, DealStageChange
    from app.services.crm import ensure_default_stages

    stages = ensure_default_stages(db.session)
    now = datetime(2026, 6, 1)
    db.session.execute(insert(Deal), [dict(title=f"Deal {i}", partner_id=partner_id, amount=Decimal(1000 + i),
                                           stage_id=stages[i % 5].id, probability=stages[i % 5].probability,
                                           source="", note="", close_reason="", created_at=now, updated_at=now)
                                      for i in range(CARD_DEALS)])
    ids = db.session.scalars(select(Deal.id).where(Deal.partner_id == partner_id)).all()
    db.session.execute(insert(DealStageChange), [dict(deal_id=d, to_stage_id=stages[0].id, changed_at=now,
                                                      username="bench") for d in ids])
    db.session.execute(insert(Activity), [dict(kind="call", partner_id=partner_id, deal_id=ids[i % len(ids)],
                                               subject=f"Call {i}", due_at=now + timedelta(hours=i), done=i % 2 == 0,
                                               result="", created_at=now, updated_at=now)
                                          for i in range(CARD_ACTIVITIES)])
    db.session.commit()


def _timed(client, url: str, expect: str | None) -> tuple[float, float, int]:
    """(p95 ms, median ms, statements of one request) of GET `url`."""
    from bench.sqlcount import statements

    def get() -> None:
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} -> {resp.status_code}")
        if expect and expect.encode() not in resp.data:
            raise RuntimeError(f"GET {url}: the page does not show {expect!r}")

    get()
    with statements() as log:
        get()
    times = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        get()
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return times[int(0.95 * (len(times) - 1))], statistics.median(times), len(log)


def _filter_index(app, column: str, filter_class_name: str) -> int:
    """The index FAB gives a filter of the partner list in `_flt_<index>_<column>` URLs."""
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "PartnerView")
    for i, flt in enumerate(view._filters.get_search_filters()[column]):
        if type(flt).__name__ == filter_class_name:
            return i
    raise LookupError(filter_class_name)


def run_phase(pg_url: str | None = None, n: int = 100_000) -> dict:
    """Phase 'partners': seed, then P1-P4; returns PhaseOutput's fields."""
    from urllib.parse import quote

    from app.extensions import db
    from app.services.partners import Probe, find_duplicates, normalize_name
    from bench import reads
    from bench.harness import backend_name, fresh_app, load_average

    out = PhaseOutput(backend_name(pg_url))
    rng = random.Random(6)
    with fresh_app(pg_url) as app:
        t0 = time.perf_counter()
        sample = _seed(n, rng)
        _card_documents(sample["probe"])
        out.notes.append(f"partners phase: {n:,} partners + {CARD_DEALS + CARD_ACTIVITIES:,} documents seeded in "
                         f"{time.perf_counter() - t0:.0f} s; load average {load_average()}")
        client = reads.login_admin(app)
        probe, name = sample["probe"], sample["name"]
        prefix = quote(" ".join(name.split()[:2]))
        contains = quote(name.split()[1])
        idx = {c: _filter_index(app, c, f) for c, f in (("name", "FilterName"), ("phone", "FilterPhone"),
                                                        ("email", "FilterEmail"), ("tax_id", "FilterTaxId"))}
        contains_idx = _filter_index(app, "name", "FilterNameContains")
        tag_idx = _filter_index(app, "tags", "FilterRelationManyToManyEqual")
        bool_idx = _filter_index(app, "is_supplier", "FilterEqual")
        phone = quote(f"8 {900 + probe % 99} {probe:07d}")
        pages = [
            ("P1 list, first page", "/partnerview/list/", None),
            ("P1 list, page 2,000 by name", "/partnerview/list/?page_PartnerView=2000&_oc_PartnerView=name"
                                            "&_od_PartnerView=asc", None),
            ("P2 search name (normalised prefix)", f"/partnerview/list/?_flt_{idx['name']}_name={prefix}", name),
            ("P2 search name contains", f"/partnerview/list/?_flt_{contains_idx}_name={contains}", None),
            ("P2 search phone, other format", f"/partnerview/list/?_flt_{idx['phone']}_phone={phone}", name),
            ("P2 search e-mail, other case", f"/partnerview/list/?_flt_{idx['email']}_email=INFO{probe}%40", name),
            ("P2 search tax id", f"/partnerview/list/?_flt_{idx['tax_id']}_tax_id={7700000000 + probe}", name),
            ("P2 filter supplier + tag", f"/partnerview/list/?_flt_{bool_idx}_is_supplier=y"
                                         f"&_flt_{tag_idx}_tags={sample['tag']}", None),
            (f"P3 card, {CARD_DEALS + CARD_ACTIVITIES:,} documents", f"/partnerview/card/{probe}", "Deal 499"),
        ]
        for label, url, expect in pages:
            p95, med, stmts = _timed(client, url, expect)
            out.add(Result(label, f"{n:,} partners", round(p95, 1), MS, goal=f"p95 < {GOAL_MS:g} ms",
                           goal_ok=p95 < GOAL_MS, note=f"median {med:.1f} ms; {stmts} SQL statements"))
        norm = normalize_name(name)
        times = []
        for _ in range(REPS):
            t0 = time.perf_counter()
            found = find_duplicates(db.session, Probe(tax_id="1", phone="79991234567", email="x@y.z", name=norm))
            times.append((time.perf_counter() - t0) * 1000.0)
        times.sort()
        out.add(Result("P4 duplicate check on save", f"{n:,} partners", round(times[int(0.95 * (REPS - 1))], 1), MS,
                       note=f"median {statistics.median(times):.1f} ms; found {len(found)}"))
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("partners", __doc__, run_phase, 100_000, "partners (default 100,000)", argv)


if __name__ == "__main__":
    sys.exit(main())
