"""Bulletins (通报)."""

from django.urls import path

from complaintdesk.bulletins import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_new, name="new"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/step/<str:action>/", views.bulletin_step, name="step"),
    path("<int:pk>/lines/", views.bulletin_add_line, name="add_line"),
]
