from django.urls import path

from personalization import api

urlpatterns = [
    path("customers/<int:customer_id>/brief/", api.CustomerBriefView.as_view(), name="customer-brief"),
    path("touches/", api.TouchList.as_view(), name="touch-list"),
]
