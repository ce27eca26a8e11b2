from django.urls import path
from django.views.i18n import set_language

from complaintdesk.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
]
