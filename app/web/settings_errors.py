"""How the admin API refuses settings (a scenario's, the delivery rules): 400 with
`problems`, each field (by position, as the admin form names it) with what is wrong in the
API's words (`message`) and as a code with its figures (`code`, `params`) that the form says
in the merchant's words, in the requester's language."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from app.i18n import Locale
from app.scenarios.config import InvalidSettings


def invalid_settings_response(exc: InvalidSettings, locale: Locale) -> JSONResponse:
    return JSONResponse(
        {
            "error": "InvalidRequest",
            "detail": exc.text.in_locale(locale),
            "problems": [
                {
                    "field": p.field,
                    "message": p.what.in_locale(locale),
                    "code": p.code,
                    "params": p.params,
                }
                for p in exc.problems
            ],
        },
        status_code=400,
    )
