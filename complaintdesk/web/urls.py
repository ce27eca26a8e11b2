from django.urls import path
from django.views.i18n import set_language

from complaintdesk.web import views
from complaintdesk.web.views import account, signin

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", signin.signin_code, name="login_code"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("account/", account.account_security, name="account"),
    path("account/password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("account/code/", account.totp_enrol, name="totp_enrol"),
    path("account/code/remove/", account.totp_disable, name="totp_disable"),
    path("session/alive/", account.session_alive, name="session_alive"),
    path("language/", set_language, name="set_language"),
]
