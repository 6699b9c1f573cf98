"""The letterhead speaks the document's language: a Spanish form gets the company's Spanish name, legal name
and address, a Russian one the Russian ones, any other the default texts (issue 14: the es customer TCP
carried the Russian letterhead)."""

from __future__ import annotations

from app.models.core import Company
from app.services.company import company_view_model


def _company() -> Company:
    return Company(name="RoboFabrika", name_ru="РобоФабрика", name_es="RoboFábrica", legal_name="RoboFabrika LLC",
                   legal_name_ru="ООО «РобоФабрика»", legal_name_es="", address="7 Tverskaya St., Moscow",
                   address_ru="г. Москва, ул. Тверская, д. 7", address_es="C/ Tverskaya 7, Moscú")


def test_the_header_is_in_the_forms_language_with_the_default_where_none_is_given():
    company = _company()
    es = company_view_model(company, "es_ES")
    assert (es["name"], es["legal_name"], es["address"]) == ("RoboFábrica", "RoboFabrika LLC", "C/ Tverskaya 7, Moscú")
    ru = company_view_model(company, "ru")
    assert (ru["name"], ru["legal_name"], ru["address"]) == ("РобоФабрика", "ООО «РобоФабрика»",
                                                             "г. Москва, ул. Тверская, д. 7")
    en = company_view_model(company, "en")
    assert (en["name"], en["address"]) == ("RoboFabrika", "7 Tverskaya St., Moscow")
