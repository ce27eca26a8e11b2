"""The shell around the staff pages: sign-in (signin.py), the own account (account.py), the start page."""

from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from complaintdesk.web.views.signin import SignInView, SignOutView, signin_locked_out

__all__ = ["SignInView", "SignOutView", "home", "signin_locked_out"]


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("web:login")
    try:
        return redirect(reverse("workbench:home"))
    except NoReverseMatch:  # the workbench is not installed: the admin is the only page
        return redirect("admin:index")
