// Select-all-matching on moderated lists: once every row of the page is ticked, offer the whole list. Choosing it
// makes the action form carry select_all=1 and the list's own query string (filters, search), from which the
// server derives the rows again.
(function () {
  var banner = document.getElementById("select-all-banner");
  var form = document.getElementById("action_form");
  if (!banner || !form) { return; }
  var toggle = document.querySelector("input.action-rowtoggle");
  var boxes = document.querySelectorAll("input.action-checkbox");
  var baseAction = form.getAttribute("action");

  function setSelectAll(on) {
    var input = form.querySelector("input[name=select_all]");
    if (on && !input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "select_all";
      input.value = "1";
      form.appendChild(input);
    } else if (!on && input) {
      input.remove();
    }
    form.setAttribute("action", on ? baseAction + window.location.search : baseAction);
    banner.querySelector(".select-page").classList.toggle("d-none", on);
    banner.querySelector(".select-all").classList.toggle("d-none", !on);
  }

  function refresh() {
    var all = boxes.length > 0 && Array.prototype.every.call(boxes, function (box) { return box.checked; });
    banner.classList.toggle("d-none", !all);
    if (!all) { setSelectAll(false); }
  }

  // Each button hides itself: focus goes to what replaces it (the other button; the header's checkbox), not <body>.
  document.getElementById("select-all-matching").addEventListener("click", function () {
    setSelectAll(true);
    document.getElementById("clear-selection").focus();
  });
  document.getElementById("clear-selection").addEventListener("click", function () {
    setSelectAll(false);
    Array.prototype.forEach.call(boxes, function (box) { box.checked = false; });
    if (toggle) { toggle.checked = false; }
    refresh();
    if (toggle) { toggle.focus(); }
  });
  if (toggle) { toggle.addEventListener("change", function () { setTimeout(refresh, 0); }); }
  Array.prototype.forEach.call(boxes, function (box) { box.addEventListener("change", refresh); });
})();
