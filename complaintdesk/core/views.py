import logging

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from complaintdesk.core import bad_requests

log = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not (for load balancers and probes).
    Anyone can call it, so the driver's message (host names, user names, paths) goes to the
    log, never into the answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "not healthy"
        log.exception("health check: the database does not answer")
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def bad_request(request, exception=None):
    """The site's 400 handler (handler400): Django calls it for a body it cannot read (too
    large, too many fields or files, broken multipart) and for other bad requests raised
    outside the API's own handlers. The API's paths get the JSON error shape; pages get a
    plain page in the user's language, 413 for a request over a limit."""
    refusal = bad_requests.refusal_for(exception)
    if request.path_info.startswith("/api/"):
        fields = [{"field": "body", "reason": refusal.message, "code": refusal.code}]
        return JsonResponse({"error": {"code": refusal.code, "message": refusal.message, "fields": fields}},
                            status=refusal.status)
    return render(request, "core/bad_request.html", {"refusal": refusal}, status=refusal.status)
