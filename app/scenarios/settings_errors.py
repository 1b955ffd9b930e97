"""Why a scenario's settings were refused, in the merchant's language: each problem of
InvalidSettings explained in English (pydantic's or our own wording) and in French."""

from __future__ import annotations

from app.i18n import Text
from app.scenarios.config import InvalidSettings, SettingsProblem

# French wording per pydantic error type (and our own checks), formatted with its context.
_FRENCH: dict[str, str] = {
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
    "string_too_short": "doit compter au moins {min_length} caractère(s)",
    "string_too_long": "doit compter au plus {max_length} caractères",
    "string_pattern_mismatch": "ne respecte pas le format attendu ({pattern})",
    "string_type": "doit être un texte",
    "int_type": "doit être un nombre entier",
    "int_parsing": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "bool_type": "doit valoir vrai ou faux",
    "bool_parsing": "doit valoir vrai ou faux",
    "decimal_type": "doit être un nombre",
    "decimal_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "enum": "doit valoir {expected}",
    "literal_error": "doit valoir {expected}",
    "extra_forbidden": "n'est pas un réglage de ce scénario",
    "missing": "est obligatoire",
    "tuple_type": "doit être une liste",
    "list_type": "doit être une liste",
    "model_type": "doit être un objet",
    "dict_type": "doit être un objet",
    "percentage_out_of_range": "une remise en pourcentage est comprise entre 1 et 100",
    "amount_not_positive": "une remise d'un montant fixe doit être supérieure à 0",
    "no_steps": "il faut au moins une étape",
    "steps_out_of_order": "le délai de chaque étape doit être plus long que celui de la précédente",
}


def _french(problem: SettingsProblem) -> str:
    template = _FRENCH.get(problem.kind)
    if template is None:
        return f"n'est pas valide ({problem.message})"
    try:
        return template.format(**problem.context)
    except (KeyError, IndexError):
        return template


def explain(problem: SettingsProblem) -> Text:
    return Text(en=problem.message, fr=_french(problem))


def summary(exc: InvalidSettings) -> Text:
    """One sentence for the whole refusal, every problem named with its field."""

    def joined(locale: str) -> str:
        return "; ".join(
            f"{p.field or 'settings'}: {explain(p).fr if locale == 'fr' else p.message}"
            for p in exc.problems
        )

    return Text(
        en=f"These settings are not valid: {joined('en')}",
        fr=f"Ces réglages ne sont pas valides : {joined('fr')}",
    )
