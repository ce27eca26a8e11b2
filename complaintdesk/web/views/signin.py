"""Sign-in: staff number and password, then — for whoever has or must have one — the code of an
authenticator app (TOTP). django-axes counts every failure of either step (docs/security.md §2);
a locked-out sign-in gets the lock-out page (429, Retry-After) in the user's language.

Between the two steps the session holds only "who passed the password, when, where to go
next"; the user is signed in (django.contrib.auth.login) only after the code.
"""

import time

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import user_login_failed
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from complaintdesk.accounts.models import User
from complaintdesk.accounts.throttle import signin_lockout_ends, signin_retry_after
from complaintdesk.accounts.twofactor import (
    CodeCheck,
    totp_code_check,
    totp_device,
    totp_enrolment_confirm,
    totp_enrolment_device,
    totp_new_key,
    totp_qr_svg,
    totp_required,
    totp_secret,
)

PENDING = "signin_pending"
PENDING_SECONDS = 300  # the code must follow the password within five minutes
ENROLMENT_KEY = "totp_enrolment_key"  # the secret being enrolled, until a code confirms it


def enrolment_key(request) -> str:
    """The secret shown for enrolment, kept in the session so that reloading shows the same."""
    key = request.session.get(ENROLMENT_KEY)
    if not key:
        key = request.session[ENROLMENT_KEY] = totp_new_key()
    return key


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    admin_login = False  # serving /admin/login/ (complaintdesk/web/admin_site.py)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Signed in, yet sent to the admin's sign-in: this account may not use the admin site.
        context["admin_denied"] = self.admin_login and self.request.user.is_authenticated
        return context

    def form_valid(self, form):
        user = form.get_user()
        if totp_device(user) is None and not totp_required(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk, "backend": user.backend, "at": int(time.time()),
            "next": self.get_success_url(),
        }
        return redirect("web:login_code")


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): no state change on GET."""


def _pending_user(request) -> tuple[User | None, dict]:
    data = request.session.get(PENDING) or {}
    if not data or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    return user, data


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def signin_code(request):
    """Second step: the code of the enrolled device, or — for whoever must have one and has
    none — enrolment (QR code and secret), confirmed by a first code."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.warning(request, _("Sign in again: the sign-in code must follow the password within five minutes."))
        return redirect("web:login")
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return signin_locked_out(request, None, credentials)
    device = totp_device(user)
    enrolling = device is None
    if enrolling:
        device = totp_enrolment_device(user=user, key=enrolment_key(request))
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        check = totp_enrolment_confirm if enrolling else totp_code_check
        verdict = check(user=user, device=device, code=code)
        if verdict.result is CodeCheck.OK:
            del request.session[PENDING]
            request.session.pop(ENROLMENT_KEY, None)
            auth_login(request, user, backend=pending["backend"])
            django_otp.login(request, verdict.device)
            return redirect(pending["next"])
        if verdict.result is CodeCheck.WAIT:
            error = _("Too many wrong codes just now: wait %(seconds)d seconds, then enter the newest code.") % {
                "seconds": verdict.wait_seconds,
            }
        else:
            error = _("This code is wrong or has expired. Enter the 6-digit code your app shows now.")
            # A wrong code counts like a wrong password: the same lock-out stops guessing.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    context = {"enrolling": enrolling, "error": error, "staff": user}
    if enrolling:
        context |= {"qr_svg": totp_qr_svg(device), "secret": totp_secret(device)}
    return render(request, "web/login_code.html", context)


def signin_locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out response (AXES_LOCKOUT_CALLABLE): 429 with Retry-After and a page
    that says how long the lock lasts and who can lift it."""
    ends = signin_lockout_ends(request, credentials)
    retry_after = signin_retry_after(request, credentials)
    context = {
        "ends": timezone.localtime(ends) if ends else None,
        "minutes": max(1, (retry_after + 59) // 60),
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    response = render(request, "web/locked_out.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class AdminSignInView(SignInView):
    """/admin/login/: the same sign-in (throttle, code step); afterwards back to the admin."""

    admin_login = True
    redirect_authenticated_user = False
    next_page = reverse_lazy("admin:index")

