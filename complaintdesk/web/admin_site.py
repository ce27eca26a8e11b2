"""The admin site, with the staff sign-in instead of Django's own login form.

Django's admin login would take a password alone, past the sign-in code (TOTP) and outside the
two-step sign-in; here /admin/login/ is the same SignInView as /login/ (same throttle, same code
step) and the admin also checks, on every page, that an enrolled or obliged staff member's
session passed the code.
"""

from django.contrib import admin

from complaintdesk.accounts.twofactor import totp_device, totp_required
from complaintdesk.web.views.signin import AdminSignInView


class DeskAdminSite(admin.AdminSite):
    site_header = "complaintdesk"
    site_title = "complaintdesk"

    def login(self, request, extra_context=None):
        return AdminSignInView.as_view()(request)

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        user = request.user
        if user.is_verified():  # django-otp: this session passed a code
            return True
        return totp_device(user) is None and not totp_required(user)
