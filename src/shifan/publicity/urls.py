from django.urls import path

from shifan.publicity import calendar_views, views

app_name = "publicity"

urlpatterns = [
    # Working-day calendar
    path("manage/calendar/", calendar_views.CalendarView.as_view(), name="calendar"),
    path("manage/calendar/add/", calendar_views.CalendarAddView.as_view(), name="calendar_add"),
    path("manage/calendar/import/", calendar_views.CalendarImportView.as_view(), name="calendar_import"),
    path("manage/calendar/year/", calendar_views.CalendarYearView.as_view(), name="calendar_year"),
    path(
        "manage/calendar/<int:pk>/remove/",
        calendar_views.CalendarRemoveView.as_view(),
        name="calendar_remove",
    ),
    # Public pages: no login
    path("public/notices/", views.PublicNoticeListView.as_view(), name="public_notices"),
    path("public/notices/<int:pk>/", views.PublicNoticeView.as_view(), name="public_notice"),
    path("public/notices/<int:pk>/objection/", views.ObjectionCreateView.as_view(), name="objection_new"),
    path(
        "public/objections/received/<str:token>/",
        views.ObjectionReceivedView.as_view(),
        name="objection_received",
    ),
    path("public/objections/status/", views.ObjectionStatusView.as_view(), name="objection_status"),
    path(
        "public/announcements/<int:pk>/", views.PublicAnnouncementView.as_view(), name="public_announcement"
    ),
    # Province officers
    path("manage/publicity/", views.PublicityOverviewView.as_view(), name="overview"),
    path(
        "manage/publicity/batches/<int:batch_pk>/notice/", views.NoticeCreateView.as_view(), name="notice_new"
    ),
    path("manage/publicity/notices/<int:pk>/", views.NoticeView.as_view(), name="notice"),
    path("manage/publicity/notices/<int:pk>/cancel/", views.NoticeCancelView.as_view(), name="notice_cancel"),
    path("manage/publicity/notices/<int:pk>/end/", views.NoticeEndView.as_view(), name="notice_end"),
    path(
        "manage/publicity/notices/<int:pk>/objections.xlsx",
        views.ObjectionExportView.as_view(),
        name="objections_export",
    ),
    path(
        "manage/publicity/notices/<int:pk>/announce/", views.AnnouncementCreateView.as_view(), name="announce"
    ),
    path("manage/publicity/objections/<int:pk>/", views.ObjectionView.as_view(), name="objection"),
    path(
        "manage/publicity/objections/<int:pk>/evidence/<int:evidence_pk>/",
        views.ObjectionEvidenceView.as_view(),
        name="objection_evidence",
    ),
    path("manage/publicity/objections/<int:pk>/inquire/", views.InquirySendView.as_view(), name="inquire"),
    path("manage/publicity/objections/<int:pk>/findings/", views.FindingsView.as_view(), name="findings"),
    path("manage/publicity/objections/<int:pk>/decide/", views.DecisionView.as_view(), name="decide"),
    path("manage/units/", views.UnitListView.as_view(), name="units"),
    path("manage/units/<int:pk>/national/", views.UnitNationalView.as_view(), name="unit_national"),
    # City officers and units
    path("inquiries/", views.InquiryListView.as_view(), name="inquiries"),
    path("inquiries/<int:pk>/", views.InquiryView.as_view(), name="inquiry"),
]
