"""Saved reply bodies: variables checked when saved, filled in when sent."""

from __future__ import annotations

from moderation.replies.template import render, unknown_variables


def test_known_variables_are_accepted():
    assert unknown_variables("Hi {author_name}, see our FAQ ({network}) @{author_handle}") == []


def test_unknown_variables_are_named():
    assert unknown_variables("Hi {first_name}, your order {order_id}") == ["first_name", "order_id"]


def test_a_stray_brace_is_reported():
    (problem,) = unknown_variables("Hi {author_name")
    assert "'}'" in problem


def test_render_fills_the_author_and_falls_back_to_the_handle():
    body = "Hi {author_name}, thanks!"
    assert render(body, {"author_name": "Alice", "author_handle": "al"}) == "Hi Alice, thanks!"
    assert render(body, {"author_name": None, "author_handle": "al"}) == "Hi al, thanks!"
    assert render(body, {}) == "Hi , thanks!"


def test_doubled_braces_stay_literal():
    assert render("{{not a variable}}", {}) == "{not a variable}"
