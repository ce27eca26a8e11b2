"""Reply templates and the answer library (/answers/...)."""

from complaintdesk.answers import views

app_name = "answers"
urlpatterns = views.urlpatterns
