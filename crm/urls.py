from django.urls import path

from crm import views
from crm.imports import views as import_views

app_name = "crm"
urlpatterns = [
    path("", views.home, name="home"),
    path("guests/download/", views.guest_list_download, name="guest-list-download"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/merge/", views.merge, name="merge"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge-undo"),
    path("customers/new/", views.customer_new, name="customer-new"),
    path("customers/new/duplicates/", views.customer_new_duplicates, name="customer-new-duplicates"),
    path("customers/<int:pk>/export/", views.customer_export, name="customer-export"),
    path("customers/<int:pk>/erase/", views.customer_erase, name="customer-erase"),
    path("properties/<int:pk>/brand/", views.property_brand, name="property-brand"),
    path("brand/<int:pk>/<str:name>", views.property_logo, name="property-logo"),
    path("imports/", import_views.import_list, name="imports"),
    path("imports/columns/", import_views.import_columns, name="import-columns"),
    path("imports/<int:pk>/", import_views.import_detail, name="import"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import-progress"),
    path("imports/<int:pk>/apply/", import_views.import_apply, name="import-apply"),
    path("imports/<int:pk>/undo/", import_views.import_undo, name="import-undo"),
]
