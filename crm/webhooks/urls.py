from django.urls import path

from crm.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.endpoint_list, name="list"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="detail"),
    path("webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="rotate"),
    path("webhooks/<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("webhook-deliveries/<int:pk>/retry/", views.delivery_retry, name="retry"),
]
