"""The application's URLs plus the two references `bench/run brief` measures the brief against."""

from django.urls import path

from bench import reference
from config.urls import urlpatterns as application

urlpatterns = [
    path("bench/drf/customers/<int:customer_id>/", reference.DrfNestedView.as_view()),
    path("bench/pg-json/customers/<int:customer_id>/", reference.pg_json),
    path("bench/brief-unaudited/customers/<int:customer_id>/brief/", reference.BriefWithoutAudit.as_view()),
    *application,
]
