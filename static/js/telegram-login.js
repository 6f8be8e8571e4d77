// The "Log in with Telegram" button of the login page (templates/registration/login.html).
// It uses Telegram's popup (Telegram.Login.auth from telegram-widget.js) rather than the embedded
// widget: the widget runs its `data-onauth` callback through eval, which the site's CSP forbids.
// Telegram hands back the signed user data; it is posted with the CSRF token to /login/telegram/,
// where the server checks the signature and signs in the linked account.
(function () {
  "use strict";
  // The page's language from JavaScriptCatalog (/jsi18n/, loaded before this script); English without it.
  const gettext = window.gettext || function (text) { return text; };

  function init() {
    const form = document.getElementById("telegram-login-form");
    const button = document.getElementById("telegram-login-button");
    const status = document.getElementById("telegram-login-status");
    if (!form || !button) return;

    const say = (text) => {
      if (status) status.textContent = text;
    };

    button.addEventListener("click", function () {
      if (!window.Telegram || !window.Telegram.Login) {
        say(gettext("Telegram could not be reached. Check your connection or sign in with your password."));
        return;
      }
      button.disabled = true;
      window.Telegram.Login.auth({ bot_id: form.dataset.botId, request_access: "write" }, function (user) {
        button.disabled = false;
        if (!user) {
          say(gettext("Telegram did not sign you in. Try again, or sign in with your password."));
          return;
        }
        for (const [name, value] of Object.entries(user)) {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = name;
          input.value = String(value);
          form.appendChild(input);
        }
        say(gettext("Signing in…"));
        form.submit();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
