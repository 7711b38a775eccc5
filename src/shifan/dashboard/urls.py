from django.urls import path

from shifan.dashboard import views

app_name = "dashboard"

# Issue 9: the programme dashboard, for province officers (a city officer sees the own city).
urlpatterns = [
    path("dashboard/", views.ProgrammeView.as_view(), name="programme"),
    path("dashboard/charts/<slug:key>.xlsx", views.ChartDownloadView.as_view(), name="chart_download"),
]
