from django.urls import path
from rest_framework.routers import SimpleRouter

from personalization import api
from personalization.gifts import api as gifts_api
from personalization.metrics import api as metrics_api

router = SimpleRouter()
router.register("gift-rules", gifts_api.GiftRuleViewSet, basename="gift-rule")
router.register("delights", gifts_api.DelightViewSet, basename="delight")

urlpatterns = [
    path("customers/<int:customer_id>/brief/", api.CustomerBriefView.as_view(), name="customer-brief"),
    path("touches/", api.TouchList.as_view(), name="touch-list"),
    path("touches/<int:pk>/cancel/", api.TouchCancel.as_view(), name="touch-cancel"),
    path("touches/<int:pk>/send-now/", api.TouchSendNow.as_view(), name="touch-send-now"),
    path("tasks/", api.TaskList.as_view(), name="task-list"),
    path("tasks/<int:pk>/done/", api.TaskDone.as_view(), name="task-done"),
    path("arrivals/", api.ArrivalList.as_view(), name="arrival-list"),
    path("metrics/", metrics_api.MetricsView.as_view(), name="metrics"),
    path("metrics/staff/", metrics_api.StaffMetricsView.as_view(), name="metrics-staff"),
    *router.urls,
]
