from django.urls import path

from shifan.similarity import views

app_name = "similarity"

urlpatterns = [
    path("similarity/pairs/<int:pk>/", views.PairView.as_view(), name="pair"),
    path("similarity/pairs/<int:pk>/decide/", views.DecideView.as_view(), name="decide"),
    path("similarity/batches/<int:batch_pk>/", views.BatchPairsView.as_view(), name="batch"),
    path("similarity/batches/<int:batch_pk>/check/", views.BatchCheckView.as_view(), name="batch_check"),
]
