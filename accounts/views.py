"""Browser sign-in for the dashboards and the admin: the same users and rules as the API."""

from math import ceil

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts import services
from accounts.exceptions import NotConfirmedYet, SignInUnavailable
from accounts.origin import request_origin
from accounts.selectors import user_for_telegram
from accounts.telegram import bot_id
from accounts.throttles import AuthThrottle, ConfirmThrottle, UsernameThrottle
from core.exceptions import ApplicationError

PENDING_LOGIN = "accounts_pending_telegram_login"
# Sessions are created by a password check (ModelBackend) or a Telegram signature: name the backend.
BACKEND = "django.contrib.auth.backends.ModelBackend"


def throttle_sign_in(request: HttpRequest, *, username_too: bool) -> HttpResponse | None:
    """The brute-force limits of a browser sign-in form: a 429 page (or 503) to answer, or None to go on."""
    throttles = (AuthThrottle(), UsernameThrottle()) if username_too else (AuthThrottle(),)
    return _throttled(request, throttles, None)


def _throttled(request: HttpRequest, throttles, view) -> HttpResponse | None:
    for throttle in throttles:
        try:
            allowed = throttle.allow_request(request, view)
        except SignInUnavailable as outage:
            return HttpResponse(str(outage.detail), status=outage.status_code, content_type="text/plain")
        if not allowed:
            wait = ceil(throttle.wait() or 1)
            response = render(
                request,
                "registration/throttled.html",
                {"retry_after": wait},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
    return None


# Telegram's login script, and the origin that script asks for the signed user data (its XHR
# fallback when the popup closes before posting a message). Nothing else of Telegram's runs here.
TELEGRAM_SCRIPT_ORIGIN = "https://telegram.org"
TELEGRAM_OAUTH_ORIGIN = "https://oauth.telegram.org"


def _login_bot_id() -> int | None:
    """The bot behind the "Log in with Telegram" button; None (no button) without a configured bot."""
    return bot_id(settings.TELEGRAM_BOT_TOKEN) if settings.TELEGRAM_BOT_TOKEN else None


def telegram_login_csp() -> dict[str, list[str]]:
    """The site's strict policy plus Telegram's two origins, for the login page only.

    Still no inline script and no eval: the page runs static/js/telegram-login.js, which calls
    `Telegram.Login.auth` (a popup) instead of the embedded widget, whose `data-onauth` is eval'd.
    """
    policy = {directive: list(sources) for directive, sources in settings.SECURE_CSP.items()}
    policy["script-src"] = [*policy.get("script-src", [CSP.SELF]), TELEGRAM_SCRIPT_ORIGIN]
    policy["connect-src"] = [*policy.get("connect-src", [CSP.SELF]), TELEGRAM_OAUTH_ORIGIN]
    return policy


class LoginView(auth_views.LoginView):
    """Django's login form, throttled like the API, with the Telegram confirmation of linked accounts."""

    redirect_authenticated_user = True
    extra_context = {"title": "Sign in"}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "telegram_bot_id": _login_bot_id()}

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("telegram_bot_id"):
            # Django's per-view CSP override (what @csp_override sets), chosen per response because
            # whether a bot is configured is a setting: without one the page keeps the site policy.
            response._csp_config = telegram_login_csp()
        return response

    def post(self, request, *args, **kwargs):
        return throttle_sign_in(request, username_too=True) or super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if not services.telegram_confirmation_required(user):
            return super().form_valid(form)
        # Same rule as POST /api/auth/token/: a password alone does not open a Telegram-linked account.
        pending = services.telegram_login_challenge_create(user=user, origin=request_origin(self.request))
        self.request.session[PENDING_LOGIN] = {
            "verification_id": pending.verification_id,
            "telegram_link": pending.telegram_link,
            "next": self.get_success_url(),
        }
        return redirect("login-confirm")


class TelegramConfirmLoginView(View):
    """The browser's side of a bot-confirmed login: show the bot link, then finish once confirmed."""

    template_name = "registration/login_confirm.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.get(PENDING_LOGIN)
        if not pending:
            return redirect("login")
        return render(request, self.template_name, {"telegram_link": pending["telegram_link"]})

    def post(self, request: HttpRequest) -> HttpResponse:
        # Polled like POST /api/auth/telegram/confirm/, and limited the same way.
        if throttled := _throttled(request, (ConfirmThrottle(),), self):
            return throttled
        pending = request.session.get(PENDING_LOGIN)
        if not pending:
            return redirect("login")
        try:
            user = services.telegram_login_challenge_redeem(verification_id=pending["verification_id"])
        except NotConfirmedYet as waiting:
            messages.info(request, waiting.message)
            return render(request, self.template_name, {"telegram_link": pending["telegram_link"]}, status=409)
        except (ApplicationError, PermissionDenied) as refusal:  # unknown, expired or used, denied in Telegram
            del request.session[PENDING_LOGIN]
            messages.error(request, str(refusal))
            return redirect("login")
        del request.session[PENDING_LOGIN]
        auth_login(request, user, backend=BACKEND)
        return redirect(pending["next"])


@sensitive_post_parameters()
@require_POST
def telegram_widget_login(request: HttpRequest) -> HttpResponse:
    """The Login Widget's data, posted by the login page's script (POST + CSRF, not a GET link)."""
    if throttled := throttle_sign_in(request, username_too=False):
        return throttled
    # Everything Telegram sent takes part in its signature; the form's own fields do not.
    fields = {name: value for name, value in request.POST.items() if name not in ("csrfmiddlewaretoken", "next")}
    try:
        user = user_for_telegram(identity=services.telegram_widget_identity(fields=fields))
    except ApplicationError as refusal:  # a bad or replayed signature, no linked account, no bot configured
        messages.error(request, str(refusal))
        return redirect("login")
    auth_login(request, user, backend=BACKEND)
    next_url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure())
    return redirect(next_url if safe else settings.LOGIN_REDIRECT_URL)


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's `set_language` (cookie, safe redirect to `next`), and
    for a signed-in user the choice saved on the account, so it follows them to other browsers."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_language_set(user=request.user, language=language)
    return response
