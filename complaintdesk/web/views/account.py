"""The staff member's own account: password change (under the password policy) and the
sign-in code (TOTP) — enrol, or remove when no rule requires it."""

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.accounts.twofactor import (
    CodeCheck,
    totp_code_check,
    totp_device,
    totp_enrolment_confirm,
    totp_enrolment_device,
    totp_qr_svg,
    totp_remove,
    totp_required,
    totp_secret,
)
from complaintdesk.web.views.signin import ENROLMENT_KEY, enrolment_key


@require_GET
@login_required
def account_security(request):
    user = request.user
    return render(request, "web/account_security.html", {
        "device": totp_device(user), "required": totp_required(user),
    })


def _code_error(verdict) -> str:
    if verdict.result is CodeCheck.WAIT:
        return _("Too many wrong codes just now: wait %(seconds)d seconds, then enter the newest code.") % {
            "seconds": verdict.wait_seconds,
        }
    return _("This code is wrong or has expired. Enter the 6-digit code your app shows now.")


@sensitive_post_parameters("code")
@login_required
def totp_enrol(request):
    user = request.user
    if totp_device(user) is not None:
        return redirect("web:account")
    device = totp_enrolment_device(user=user, key=enrolment_key(request))
    error = ""
    if request.method == "POST":
        verdict = totp_enrolment_confirm(user=user, device=device, code=request.POST.get("code", ""))
        if verdict.result is CodeCheck.OK:
            request.session.pop(ENROLMENT_KEY, None)
            django_otp.login(request, verdict.device)  # this session has just shown a code
            messages.success(request, _("The sign-in code is set up: from now on, sign-in asks for it."))
            return redirect("web:account")
        error = _code_error(verdict)
    return render(request, "web/account_totp_enrol.html", {
        "qr_svg": totp_qr_svg(device), "secret": totp_secret(device), "error": error,
    })


@sensitive_post_parameters("code")
@require_POST
@login_required
def totp_disable(request):
    user = request.user
    device = totp_device(user)
    if device is None:
        return redirect("web:account")
    if totp_required(user):
        messages.error(request, _("Your administrator requires a sign-in code for your account: it cannot be removed."))
        return redirect("web:account")
    # A current code, not just the session: whoever finds an unlocked screen cannot remove it.
    verdict = totp_code_check(user=user, device=device, code=request.POST.get("code", ""))
    if verdict.result is not CodeCheck.OK:
        messages.error(request, _code_error(verdict))
        return redirect("web:account")
    totp_remove(user=user)
    messages.success(request, _("The sign-in code is removed: sign-in asks for the password only."))
    return redirect("web:account")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:account")

    def form_valid(self, form):
        messages.success(self.request, gettext_lazy("Your password is changed."))
        return super().form_valid(form)


@require_POST
def session_alive(request):
    """Activity in the page without a request (static/web/session.js): the idle-timeout
    middleware has already noted the time; nothing else changes."""
    return HttpResponse(status=204 if request.user.is_authenticated else 401)
