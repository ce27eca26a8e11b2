"""Idle timeout of staff sessions: a session with no request for SESSION_IDLE_TIMEOUT is signed
out at its next request (then sent to the sign-in page, which says why).

The time of the last request is kept in the session and written at most once a minute, so an
active user costs one session write a minute, not one per request. Typing in a long form sends
no request: static/web/session.js reports such activity (POST /session/alive/) every few
minutes, so a reply being written does not expire under the writer's hands.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_SEEN = "last_seen"
WRITE_EVERY = 60  # seconds


def note_signed_in(sender, request, user, **kwargs):
    """At sign-in (user_logged_in): the session's clock starts, written with the sign-in itself,
    so the first page after it needs no session write of its own."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_SEEN] = int(time.time())


class IdleSessionTimeout:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            if last is not None and now - last > idle:
                return self._signed_out(request, int(idle // 60))
            if last is None or now - last >= WRITE_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)

    def _signed_out(self, request, minutes):
        logout(request)
        if request.path.startswith("/api/") or request.path == reverse("web:session_alive"):
            # These answer for themselves: the request goes on, unauthenticated (401).
            return self.get_response(request)
        messages.info(request, _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {"minutes": minutes})
        next_url = request.get_full_path() if request.method == "GET" else request.headers.get("referer", "")
        if request.headers.get("HX-Request"):
            # htmx would swap the sign-in page into a fragment: send the whole page there.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(next_url or "/")["Location"]
            return response
        return redirect_to_login(next_url or "/")
