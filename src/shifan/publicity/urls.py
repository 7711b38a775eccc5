from django.urls import path

from shifan.publicity import calendar_views

app_name = "publicity"

urlpatterns = [
    # Working-day calendar
    path("manage/calendar/", calendar_views.CalendarView.as_view(), name="calendar"),
    path("manage/calendar/add/", calendar_views.CalendarAddView.as_view(), name="calendar_add"),
    path("manage/calendar/import/", calendar_views.CalendarImportView.as_view(), name="calendar_import"),
    path(
        "manage/calendar/<int:pk>/remove/",
        calendar_views.CalendarRemoveView.as_view(),
        name="calendar_remove",
    ),
]
