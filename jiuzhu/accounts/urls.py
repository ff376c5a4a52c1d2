from django.contrib.auth import views as auth_views
from django.urls import path

from jiuzhu.accounts import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_list_view, name="audit_list"),
]
