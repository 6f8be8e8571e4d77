// The exercise rows of the training form (a Django formset): add, remove and reorder them by
// buttons or drag and drop. Django reads the order from each row's hidden ORDER input and a removed
// row from its hidden DELETE input, so rows are hidden rather than taken out of the form.
(function () {
  "use strict";
  // The page's language from JavaScriptCatalog (/jsi18n/, loaded before this script); English without it.
  const gettext = window.gettext || function (text) { return text; };
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  }

  function init(editor) {
    const prefix = editor.dataset.prefix;
    const list = editor.querySelector("[data-rows]");
    const template = editor.querySelector("[data-row-template]");
    const total = editor.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    const maxForms = Number(editor.querySelector("#id_" + prefix + "-MAX_NUM_FORMS").value);
    const addButton = editor.querySelector("[data-add-row]");
    const empty = editor.querySelector("[data-rows-empty]");
    const status = editor.querySelector("[data-rows-status]");
    let dragged = null;

    const liveRows = () => Array.from(list.querySelectorAll("[data-row]")).filter((row) => !row.hidden);
    const field = (row, name) => row.querySelector("[name$='-" + name + "']");
    const title = (row) => {
      const select = field(row, "exercise");
      return select && select.selectedIndex > 0 ? select.options[select.selectedIndex].text.split(" · ")[0] : gettext("Exercise");
    };

    function renumber() {
      const rows = liveRows();
      rows.forEach(function (row, index) {
        field(row, "ORDER").value = index + 1;
        row.querySelector("[data-number]").textContent = index + 1;
        row.querySelector("[data-move='-1']").disabled = index === 0;
        row.querySelector("[data-move='1']").disabled = index === rows.length - 1;
      });
      empty.hidden = rows.length > 0;
      addButton.disabled = Number(total.value) >= maxForms;
    }

    function announce(text) {
      status.textContent = text;
    }

    function addRow() {
      const index = Number(total.value);
      const html = template.innerHTML.replace(/__prefix__/g, String(index));
      list.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      const row = list.lastElementChild;
      renumber();
      field(row, "exercise").focus();
      announce(format(gettext("Added exercise %(number)s."), { number: liveRows().length }));
    }

    function move(row, step) {
      const rows = liveRows();
      const target = rows[rows.indexOf(row) + step];
      if (!target) {
        return;
      }
      if (step < 0) {
        list.insertBefore(row, target);
      } else {
        list.insertBefore(target, row);
      }
      renumber();
      announce(format(gettext("%(name)s moved to position %(position)s."), { name: title(row), position: liveRows().indexOf(row) + 1 }));
    }

    function remove(row) {
      const name = title(row);
      field(row, "DELETE").value = "on";
      row.hidden = true;
      renumber();
      addButton.focus();
      announce(format(gettext("%(name)s removed."), { name: name }));
    }

    list.addEventListener("click", function (event) {
      const button = event.target.closest("button");
      const row = button && button.closest("[data-row]");
      if (!row) {
        return;
      }
      if (button.dataset.move) {
        move(row, Number(button.dataset.move));
        if (!button.disabled) {
          button.focus();
        } else {
          row.querySelector("[data-move='" + -Number(button.dataset.move) + "']").focus();
        }
      } else if (button.hasAttribute("data-remove")) {
        remove(row);
      }
    });

    // Only the handle starts a drag, so text in the row's inputs can still be selected.
    list.addEventListener("pointerdown", function (event) {
      const handle = event.target.closest("[data-handle]");
      if (handle) {
        handle.closest("[data-row]").draggable = true;
      }
    });
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("[data-row]");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", "");
      dragged.classList.add("dragging");
    });
    list.addEventListener("dragover", function (event) {
      const over = event.target.closest("[data-row]");
      if (!dragged || !over || over === dragged) {
        return;
      }
      event.preventDefault();
      const box = over.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
    });
    list.addEventListener("dragend", function () {
      if (!dragged) {
        return;
      }
      dragged.classList.remove("dragging");
      dragged.draggable = false;
      renumber();
      announce(format(gettext("%(name)s moved to position %(position)s."), { name: title(dragged), position: liveRows().indexOf(dragged) + 1 }));
      dragged = null;
    });

    addButton.addEventListener("click", addRow);

    // After a failed submit Django renders rows by form index; put them back in their chosen order.
    liveRows()
      .map((row) => [Number(field(row, "ORDER").value) || Infinity, row])
      .sort((a, b) => a[0] - b[0])
      .forEach(([, row]) => list.appendChild(row));
    renumber();
  }

  document.querySelectorAll("[data-rows-editor]").forEach(init);
})();
