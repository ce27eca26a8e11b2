"""Customer portal: no sign-in; file, track, answer and rate."""

from django.urls import path

from complaintdesk.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("file/", views.file, name="file"),
    path("file/categories/", views.categories, name="categories"),
    path("file/elements/", views.elements, name="elements"),
    path("file/check-phone/", views.check_phone, name="check_phone"),
    path("track/", views.track, name="track"),
    path("case/<str:number>/", views.case, name="case"),
    path("case/<str:number>/answer/", views.answer, name="answer"),
    path("case/<str:number>/rate/", views.rate, name="rate"),
    path("case/<str:number>/leave/", views.leave, name="leave"),
]
