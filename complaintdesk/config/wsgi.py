import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintdesk.config.settings")
application = get_wsgi_application()

# Load jieba's dictionary (~0.6 s) at start, not in the first request that indexes a ticket.
from complaintdesk.search import segment  # noqa: E402

segment.warm()
