"""Knowledge-base search understands Russian and Spanish word forms, on SQLite and PostgreSQL alike.

Each article names one thing in its dictionary form; the query uses another form of the word. At least
95 % of the pairs must find their article among the first five (run the file with TEST_DATABASE_URL for
PostgreSQL: the same assertions hold there).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from app.domain.wordforms import forms, normalise
from app.models.quality import KbArticle
from app.services.quality.kb_search import search, suggest

# (word in the article, the form a user types)
PAIRS = [
    ("деталь", "детали"), ("робот", "роботы"), ("процессор", "процессоров"), ("плата", "платы"),
    ("двигатель", "двигателями"), ("колесо", "колёса"), ("аккумулятор", "аккумуляторы"), ("прошивка", "прошивки"),
    ("датчик", "датчиков"), ("гарантийный", "гарантийного"), ("ремонт", "ремонты"), ("корпус", "корпусов"),
    ("набор", "наборы"), ("кабель", "кабелей"), ("винт", "винты"), ("программа", "программы"),
    ("pieza", "piezas"), ("robot", "robots"), ("procesador", "procesadores"), ("placa", "placas"),
    ("motor", "motores"), ("rueda", "ruedas"), ("batería", "baterías"), ("sensor", "sensores"),
    ("reparación", "reparaciones"), ("garantía", "garantías"), ("cable", "cables"), ("tornillo", "tornillos"),
    ("programa", "programas"),
]


@pytest.fixture
def articles(session):
    out = {}
    for n, (word, _) in enumerate(PAIRS):
        ru = any("а" <= ch <= "я" for ch in word)
        art = KbArticle(title=f"Article {n}", title_ru=f"{word.capitalize()}: что проверить" if ru else "",
                        title_es="" if ru else f"{word.capitalize()}: qué revisar",
                        body_ru="Порядок действий для сервиса." if ru else "",
                        body_es="" if ru else "Pasos para el servicio técnico.")
        session.add(art)
        out[word] = art
    session.commit()
    return out


def test_word_forms_normalise_to_one_word():
    assert normalise("детали роботы") == "деталь робот"
    assert set(forms("robots")) & set(forms("robot"))
    assert set(forms("piezas")) & set(forms("pieza"))


def test_search_recall_on_russian_and_spanish_word_forms(articles, session):
    found = 0
    missed = []
    for word, typed in PAIRS:
        top = [h.article_id for h in search(session, typed, 5)]
        if articles[word].id in top:
            found += 1
        else:
            missed.append(typed)
    assert len(PAIRS) >= 20
    assert found / len(PAIRS) >= 0.95, missed


def test_the_title_ranks_above_the_body(session):
    in_body = KbArticle(title="Other", body_ru="Иногда перегревается процессор.")
    in_title = KbArticle(title="CPU", title_ru="Процессор перегревается")
    session.add_all([in_body, in_title])
    session.commit()
    assert [h.article_id for h in search(session, "процессоры")] == [in_title.id, in_body.id]


def test_every_word_must_match_and_unpublished_articles_are_hidden(articles, session):
    hidden = KbArticle(title="Hidden", title_ru="Деталь и робот", published=False)
    session.add(hidden)
    session.commit()
    assert search(session, "детали роботов") == []
    assert [h.article_id for h in search(session, "детали роботов", published_only=False)] == [hidden.id]


def test_suggestions_while_typing_take_any_word_and_a_started_one(articles, session):
    ids = [h.article_id for h in suggest(session, "не работают двигател")]
    assert articles["двигатель"].id in ids
    ids = [h.article_id for h in suggest(session, "mi robot no funciona")]
    assert ids[0] == articles["robot"].id


def test_an_edited_article_is_found_under_its_new_words(articles, session):
    art = articles["винт"]
    art.title_ru = "Шуруповёрт"
    session.commit()
    assert art.id not in [h.article_id for h in search(session, "винты")]
    assert [h.article_id for h in search(session, "шуруповерты")] == [art.id]
    session.delete(art)
    session.commit()
    assert search(session, "шуруповерты") == []


def test_a_bulk_load_is_found_after_the_index_is_rebuilt(session):
    from app.domain.wordforms import normalise
    from app.extensions import db
    from app.services.quality.kb_search import rebuild_index

    title = "Зарядка аккумулятора"
    with db.engine.begin() as conn:  # bypasses the model's hooks, as an import would
        conn.execute(KbArticle.__table__.insert(), [{
            "title": "Charging", "title_ru": title, "title_es": "", "body": "", "body_ru": "", "body_es": "",
            "published": True, "search_title": normalise(title), "search_body": "",
            "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1)}])
    with db.engine.begin() as conn:
        rebuild_index(conn)
    hits = search(session, "аккумуляторы")
    assert [session.get(KbArticle, h.article_id).title for h in hits] == ["Charging"]
