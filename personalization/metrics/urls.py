from django.urls import path

from personalization.metrics import views

app_name = "metrics"
urlpatterns = [
    path("metrics/", views.dashboard, name="dashboard"),
    path("metrics/rows/<slug:kind>/", views.rows, name="rows"),
]
