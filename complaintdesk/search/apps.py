import sys

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "complaintdesk.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self):
        from django.conf import settings

        from complaintdesk.search import segment
        from complaintdesk.search.services.dictionary import dictionary_words

        # The user dictionary is read lazily by the first cut, never at import.
        segment.set_user_words_loader(
            dictionary_words, refresh_seconds=getattr(settings, "SEARCH_DICTIONARY_SECONDS", 30)
        )
        # The worker segments tickets too: load jieba's dictionary at start, not in its first
        # job (the web process warms it in config/wsgi.py).
        if {"worker", "run_huey"} & set(sys.argv[1:3]):
            segment.warm()
