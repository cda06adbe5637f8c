from django.urls import path

from personalization.touches import views

app_name = "touches"
urlpatterns = [
    path("t/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("t/feedback/<str:token>/", views.feedback, name="feedback"),
    path("touches/", views.queue, name="queue"),
    path("properties/<int:pk>/brand/preview/", views.brand_preview, name="brand-preview"),
    path("touches/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("touches/<int:pk>/send-now/", views.send_now, name="send-now"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task-claim"),
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
]
