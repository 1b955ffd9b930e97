"""The one rendering of an expected failure: {"error": ClassName, "detail": message, …} in
the requester's language, with the error's status and headers."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.requests import Request

from app.errors import BoomerangError
from app.i18n import request_locale


def error_response(request: Request, exc: BoomerangError) -> JSONResponse:
    locale = request_locale(request)
    return JSONResponse(
        {"error": type(exc).__name__, "detail": exc.detail_in(locale), **exc.body_fields(locale)},
        status_code=exc.status_code,
        headers=exc.headers,
    )
