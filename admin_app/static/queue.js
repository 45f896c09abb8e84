// Keyboard triage on the review queue: j/k move, x selects, a approves, d disables (pick a reason, Enter), ? help.
// The page works without it: the checkboxes and buttons post the same forms. j and k move focus to the row (a screen
// reader reads it; the ring shows it), Escape from the reason brings it back there.
(function () {
  "use strict";
  var form = document.getElementById("queue-form");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-queue-row]"));
  var reason = document.getElementById("queue-reason");
  var help = document.getElementById("queue-help");
  var toggleAll = document.getElementById("queue-toggle-all");
  var current = -1;

  function box(row) { return row.querySelector("input[name=id]"); }
  function selected() { return rows.filter(function (row) { return box(row).checked; }); }

  function refreshToggleAll() {
    var count = selected().length;
    toggleAll.checked = count > 0 && count === rows.length;
    toggleAll.indeterminate = count > 0 && count < rows.length;
  }

  function setCurrent(index, scroll) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0) {
      rows[current].classList.remove("queue-current");
      rows[current].removeAttribute("aria-current");
    }
    current = index;
    rows[current].classList.add("queue-current");
    rows[current].setAttribute("aria-current", "true");
    if (scroll) { rows[current].scrollIntoView({ block: "nearest" }); }
  }

  function focusCurrent() {
    if (current >= 0) { rows[current].focus({ preventScroll: true }); }
  }

  // Acting with nothing ticked acts on the current comment.
  function selectCurrentIfNone() {
    if (!selected().length && current >= 0) { box(rows[current]).checked = true; }
    refreshToggleAll();
    return selected().length > 0;
  }

  function submitWith(buttonId) {
    var button = document.getElementById(buttonId);
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  }

  function typing(target) {
    var tag = target && target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) { return true; }
    return tag === "INPUT" && ["checkbox", "radio", "button", "submit", "reset"].indexOf(target.type) < 0;
  }

  var keys = {
    j: function () { setCurrent(current + 1, true); focusCurrent(); },
    k: function () { setCurrent(current - 1, true); focusCurrent(); },
    x: function () {
      if (current < 0) { return; }
      var input = box(rows[current]);
      input.checked = !input.checked;
      refreshToggleAll();
    },
    a: function () { if (selectCurrentIfNone()) { submitWith("queue-approve"); } },
    d: function () { if (selectCurrentIfNone()) { reason.focus(); } },
    "?": function () { help.classList.toggle("d-none"); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var action = keys[event.key];
    if (!action) { return; }
    event.preventDefault();
    action();
  });

  // After d: the arrow keys pick a reason, Enter disables, Escape goes back to the list.
  reason.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && reason.value) {
      event.preventDefault();
      submitWith("queue-disable");
    } else if (event.key === "Escape") {
      event.preventDefault();
      focusCurrent();
    }
  });

  rows.forEach(function (row, index) {
    row.tabIndex = -1;  // focusable by script (j, k), not a Tab stop of its own: its checkbox and links are
    row.addEventListener("click", function (event) {
      setCurrent(index, false);
      // A click on the row (not on a link or the checkbox itself) ticks it, like x.
      if (!event.target.closest("a, input")) { keys.x(); }
    });
    box(row).addEventListener("change", refreshToggleAll);
  });

  toggleAll.addEventListener("change", function () {
    rows.forEach(function (row) { box(row).checked = toggleAll.checked; });
    refreshToggleAll();
  });

  setCurrent(0, false);
})();
