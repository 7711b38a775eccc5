from django.urls import path

from shifan.programs import views

app_name = "programs"

urlpatterns = [
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/new/", views.BatchCreateView.as_view(), name="batch_create"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("batches/<int:pk>/edit/", views.BatchEditView.as_view(), name="batch_edit"),
]
