"""The application's URLs plus the references the benchmarks measure against (bench/reference.py)."""

from django.urls import path

from bench import reference
from config.urls import urlpatterns as application

urlpatterns = [
    path("bench/drf/customers/<int:customer_id>/", reference.DrfNestedView.as_view()),
    path("bench/pg-json/customers/<int:customer_id>/", reference.pg_json),
    path("bench/brief-unaudited/customers/<int:customer_id>/brief/", reference.BriefWithoutAudit.as_view()),
    path("bench/framework/customers/", reference.LookupFramework.as_view({"get": "list"})),
    path("bench/fixed-json/metrics/<str:name>/", reference.FixedMetricsJson.as_view()),
    *application,
]
