// The desk's check-in input keeps the focus, so a USB scanner (a keyboard: its keystrokes, then Enter) always
// types into it, whatever was clicked last; after each answer it is emptied for the next scan.
(function () {
  "use strict";
  const input = document.querySelector("[data-desk-input]");
  if (!input) {
    return;
  }
  const refocus = function () {
    // Leave the focus where staff deliberately put it: a search result's button, a link.
    const active = document.activeElement;
    if (active && active !== document.body && active !== input && active.closest("#desk-result, .desk-today, header")) {
      return;
    }
    input.focus();
  };
  input.focus();
  input.addEventListener("blur", function () { window.setTimeout(refocus, 150); });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "desk-result" && event.detail.requestConfig.verb === "post") {
      input.value = "";
      input.focus();
    }
  });
})();
