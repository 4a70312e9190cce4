from django.contrib.auth import views as auth_views
from django.urls import path

from solidarity.accounts import security as accounts
from solidarity.accounts import tokens

urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", accounts.two_factor, name="two-factor"),
    path("two-factor/verify/", accounts.two_factor_verify, name="two-factor-verify"),
    path("api-tokens/", tokens.api_tokens, name="api-tokens"),
    path("password/", accounts.password_change, name="password_change"),
    path("password/done/", accounts.password_change_done, name="password_change_done"),
]
