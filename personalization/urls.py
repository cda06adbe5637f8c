from django.urls import path

from personalization import arrivals_views, profile_views, views

app_name = "card"
urlpatterns = [
    path("arrivals/", arrivals_views.arrivals, name="arrivals"),
    path("stays/<int:pk>/check-in/", arrivals_views.check_in, name="stay-check-in"),
    path("customers/<int:pk>/", views.card, name="customer"),
    path("customers/<int:pk>/preferences/", views.preference_add, name="preference-add"),
    path("customers/<int:pk>/issues/", views.issue_add, name="issue-add"),
    path("customers/<int:pk>/contacts/", views.contact_add, name="contact-add"),
    path("customers/<int:pk>/profile/", profile_views.profile_edit, name="profile-edit"),
    path("customers/<int:pk>/recording/", profile_views.pronunciation_record, name="pronunciation-record"),
    path("customers/<int:pk>/recording/delete/", profile_views.pronunciation_remove, name="pronunciation-remove"),
    path("customers/<int:pk>/recording.audio", profile_views.pronunciation_audio, name="pronunciation-audio"),
    path("customers/<int:pk>/timeline/", profile_views.timeline_page, name="timeline"),
    path("preferences/<int:pk>/confirm/", views.preference_confirm, name="preference-confirm"),
    path("issues/<int:pk>/acknowledge/", views.issue_acknowledge, name="issue-acknowledge"),
    path("issues/<int:pk>/steps/", views.issue_steps, name="issue-steps"),
    path("issues/<int:pk>/resolve/", views.issue_resolve, name="issue-resolve"),
    path("issues/<int:pk>/reopen/", views.issue_reopen, name="issue-reopen"),
    path("customers/<int:pk>/delights/", views.delight_offer, name="delight-offer"),
    path("delights/<int:pk>/deliver/", views.delight_deliver, name="delight-deliver"),
    path("delights/<int:pk>/plan/", views.delight_plan, name="delight-plan"),
    path("delights/<int:pk>/decline/", views.delight_decline, name="delight-decline"),
]
