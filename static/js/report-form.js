// The report form shows its client field only for the report that needs one (a client's progress).
// Without JavaScript the field simply stays visible, with its help text saying when it applies.
(function () {
  "use strict";
  const form = document.querySelector("[data-report-form]");
  if (!form) {
    return;
  }
  const kind = form.querySelector("select[name='kind']");
  const clientField = form.querySelector("[data-client-field]");
  function sync() {
    clientField.hidden = kind.value !== "client_progress";
  }
  kind.addEventListener("change", sync);
  sync();
})();
