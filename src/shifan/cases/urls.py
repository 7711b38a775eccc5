from django.urls import path

from shifan.cases import views

app_name = "cases"

urlpatterns = [
    # Public library: no login
    path("public/cases/", views.PublicCaseListView.as_view(), name="public_list"),
    path("public/cases/<int:pk>/", views.PublicCaseView.as_view(), name="public_case"),
    path(
        "public/cases/<int:pk>/pictures/<int:picture_pk>/",
        views.PublicPictureView.as_view(),
        name="public_picture",
    ),
    # Province officers
    path("manage/cases/", views.CaseListView.as_view(), name="list"),
    path("manage/cases/new/", views.CaseCreateView.as_view(), name="new"),
    path("manage/cases/<int:pk>/", views.CaseView.as_view(), name="case"),
    path("manage/cases/<int:pk>/pictures/", views.PictureAddView.as_view(), name="picture_add"),
    path("manage/cases/<int:pk>/pictures/<int:picture_pk>/", views.PictureView.as_view(), name="picture"),
    path(
        "manage/cases/<int:pk>/pictures/<int:picture_pk>/remove/",
        views.PictureRemoveView.as_view(),
        name="picture_remove",
    ),
    path("manage/cases/<int:pk>/publish/", views.CasePublishView.as_view(), name="publish"),
    path("manage/cases/<int:pk>/withdraw/", views.CaseWithdrawView.as_view(), name="withdraw"),
]
