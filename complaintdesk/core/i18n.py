from django.utils.translation import get_language


def pick(zh: str, en: str) -> str:
    """The name in the active language; data rows carry both (org units, categories...)."""
    lang = (get_language() or "zh-hans").lower()
    if lang.startswith("en") and en:
        return en
    return zh or en
