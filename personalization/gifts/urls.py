from django.urls import path

from personalization.gifts import views

app_name = "gifts"
urlpatterns = [
    path("gifts/", views.rule_list, name="rules"),
    path("gifts/new/", views.rule_edit, name="rule-new"),
    path("gifts/check/", views.rule_check, name="rule-check-new"),
    path("gifts/<int:pk>/", views.rule_edit, name="rule"),
    path("gifts/<int:pk>/check/", views.rule_check, name="rule-check"),
    path("gifts/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("gifts/<int:pk>/history/", views.rule_history, name="rule-history"),
    path("gifts/delivered/", views.delivered, name="delivered"),
]
