from django.urls import path

from crm.signin import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", views.sign_in_code, name="sign-in-code"),
    path("two-factor/", views.two_factor, name="two-factor"),
]
