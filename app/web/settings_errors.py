"""How the admin API refuses settings (a scenario's, the delivery rules) and requests that
do not validate (FastAPI's own check of a body or a query): 400 (settings) or 422 (a request)
with `problems`, each field (by position, as the admin form names it) with what is wrong in the
API's words (`message`) and as a code with its figures (`code`, `params`) that the form says in
the merchant's words, in the requester's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic_core import ErrorDetails

from app.i18n import Locale, Text
from app.scenarios.config import InvalidSettings, Problem, request_problem


def _problems(problems: Sequence[Problem], locale: Locale) -> list[dict[str, Any]]:
    return [
        {
            "field": p.field,
            "message": p.what.in_locale(locale),
            "code": p.code,
            "params": p.params,
        }
        for p in problems
    ]


def invalid_settings_response(exc: InvalidSettings, locale: Locale) -> JSONResponse:
    return JSONResponse(
        {
            "error": "InvalidRequest",
            "detail": exc.text.in_locale(locale),
            "problems": _problems(exc.problems, locale),
        },
        status_code=400,
    )


def invalid_request_response(errors: Sequence[ErrorDetails], locale: Locale) -> JSONResponse:
    """FastAPI's 422, in the requester's language instead of pydantic's English."""
    problems = [request_problem(err) for err in errors]
    text = Text(
        en="The request is not valid: " + "; ".join(p.text.en for p in problems),
        fr="La requête n'est pas valide : " + "; ".join(p.text.fr for p in problems),
    )
    return JSONResponse(
        {
            "error": "InvalidRequest",
            "detail": text.in_locale(locale),
            "problems": _problems(problems, locale),
        },
        status_code=422,
    )
