from __future__ import annotations

import pytest

from inbox.core.errors import InvalidInput
from inbox.templates.rendering import MissingVariable, render, render_all, variables


def test_plain_and_whitespace_inside_braces() -> None:
    context = {"first_name": "Ada", "company": "Acme"}
    assert render("Hi {{first_name}} at {{ company }}!", context) == "Hi Ada at Acme!"
    assert render("Hi {{   first_name\t}}", context) == "Hi Ada"
    assert render("no variables here", {}) == "no variables here"


def test_dotted_names() -> None:
    context = {"sender": {"first_name": "Max", "company": {"name": "Inbox Ltd"}}}
    assert render("{{sender.first_name}} from {{ sender.company.name }}", context) == "Max from Inbox Ltd"
    assert render("{{sender.first_name}}", {"sender.first_name": "Flat"}) == "Flat"


def test_fallbacks() -> None:
    assert render("Hi {{first_name|there}},", {}) == "Hi there,"
    assert render("Hi {{ first_name | my friend }},", {"first_name": None}) == "Hi my friend,"
    assert render("Hi {{first_name|there}},", {"first_name": "Ada"}) == "Hi Ada,"
    assert render("Hi {{first_name|there}},", {"first_name": "   "}) == "Hi there,"
    assert render("at {{sender.company|our team}}", {"sender": {}}) == "at our team"
    assert render("[{{company|}}]", {}) == "[]"


def test_missing_variables_are_all_listed() -> None:
    with pytest.raises(MissingVariable) as raised:
        render("Hi {{first_name}}, {{sender.name}} {{first_name}} {{known}} {{ok|x}}", {"known": 1, "sender": "x"})
    assert raised.value.names == ["first_name", "sender.name"]
    assert "first_name" in raised.value.message
    assert "sender.name" in raised.value.message
    assert isinstance(raised.value, InvalidInput)
    assert raised.value.extra == {"missing": ["first_name", "sender.name"]}


def test_blank_none_and_non_scalar_values_count_as_missing() -> None:
    for value in (None, "", "  ", {"a": 1}, [1, 2]):
        with pytest.raises(MissingVariable):
            render("Hi {{name}}", {"name": value})
    assert render("{{n}} {{flag}}", {"n": 0, "flag": False}) == "0 False"


def test_render_all_reports_missing_names_of_every_text() -> None:
    with pytest.raises(MissingVariable) as raised:
        render_all(["Re: {{topic}}", "Hi {{first_name}}, {{topic}}"], {})
    assert raised.value.names == ["topic", "first_name"]
    assert render_all(["{{a}}", "{{b|x}}"], {"a": "A"}) == ["A", "x"]


def test_literal_and_malformed_braces_are_text() -> None:
    text = 'a {single} brace, {{ }}, {{not valid}}, {{1abc}}, {{a..b}}, {{ open, }} close, {{x|a|b}}, json {"k": 1}'
    assert render(text, {}) == text
    assert variables(text) == []
    assert render("{{{name}}}", {"name": "N"}) == "{N}"


def test_values_are_not_rendered_again_or_escaped() -> None:
    assert render("{{a}}", {"a": "{{b}}", "b": "no"}) == "{{b}}"
    assert render("{{a}}", {"a": "<b>&</b>"}) == "<b>&</b>"


def test_variables_in_order_of_first_use() -> None:
    text = "{{ first_name }} {{sender.first_name}} {{first_name|there}} {{company}}"
    assert variables(text) == ["first_name", "sender.first_name", "company"]
