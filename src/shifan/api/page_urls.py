from django.urls import path

from shifan.api import views

app_name = "api_clients"

urlpatterns = [
    path("system/api-clients/", views.ClientListView.as_view(), name="list"),
    path("system/api-clients/new/", views.ClientCreateView.as_view(), name="create"),
    path("system/api-clients/<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
    path("system/api-clients/<int:pk>/revoke/", views.ClientRevokeView.as_view(), name="revoke"),
]
