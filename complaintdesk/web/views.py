"""The shell around the staff pages: sign-in, sign-out and the start page."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): no state change on GET."""


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("web:login")
    try:
        return redirect(reverse("workbench:home"))
    except NoReverseMatch:  # the workbench is not installed: the admin is the only page
        return redirect("admin:index")
