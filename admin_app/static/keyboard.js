// What the keyboard needs on Flask-Admin's pages (templates/admin/app_base.html), WCAG 2.1.1 and 2.4.3. Links that are
// buttons press with Space too. Focus goes somewhere when the page changes under it: after an operation's redirect,
// to its message; when something holding focus is removed (a dismissed message, a removed filter) or replaced (select2
// over a new filter's menu), to what comes next. Without this, focus falls back to <body> and the next Tab starts from
// wherever the browser left its starting point.
(function ($) {
  "use strict";
  var main = document.getElementById("main");
  if (!main) { return; }

  function visible(element) {
    return !!element && element.getClientRects().length > 0;
  }

  function firstMessage() {
    return main.querySelector("#flash-alert .alert") || main.querySelector("#flash-status .alert");
  }

  // A page starts at its top: <body> focused, the skip link the first Tab stop. Blurring alone would leave the next
  // Tab's starting point where focus was; focusing <body> moves it back.
  function startFromTop() {
    document.body.tabIndex = -1;
    document.body.focus({ preventScroll: true });
    document.body.removeAttribute("tabindex");
  }

  // After everything else ran. The message of the operation that led here is the page's news, and its buttons (Undo)
  // follow it. Otherwise the top: Flask-Admin's filter script focuses each filter it restores from the URL as it
  // builds it (select2 then hides some), which leaves focus in the filters or lost in the middle of the page.
  document.addEventListener("DOMContentLoaded", function () {
    var message = firstMessage();
    var filters = document.getElementById("filter_form");
    if (message) {
      message.focus();
    } else if (filters && filters.querySelector(".filters tr") &&
               (document.activeElement === document.body || filters.contains(document.activeElement))) {
      startFromTop();
    }
    Array.prototype.forEach.call(document.querySelectorAll("#filter_form a.remove-filter"), asButton);
  });

  // A dismissed message: the next one, else the start of the content. Bootstrap detaches the message before it says
  // "closed", so that event no longer bubbles here: listen on the message itself when it starts closing.
  $(document).on("close.bs.alert", function (event) {
    $(event.target).one("closed.bs.alert", function () { (firstMessage() || main).focus(); });
  });

  // Links that act as buttons: the menus' toggles (role=button in our templates; Bootstrap 4.6's dropdown answers the
  // arrows and Escape, not Space, and Space on a link scrolls the page) and Flask-Admin's filter rows ("× Disabled"
  // removes the filter, given the role here). Space presses them as it presses a button.
  function asButton(link) { link.setAttribute("role", "button"); }
  document.addEventListener("keydown", function (event) {
    var link = event.target instanceof Element && event.target.closest("a[role=button]");
    if (link && event.key === " " && !event.repeat) {
      event.preventDefault();
      link.click();
    }
  });

  // A filter chosen from "Add Filter" (bs4_filters.js has just added its row, on the element's own handler): its
  // value. Flask-Admin focuses the value itself, but select2 then hides the menu it focused.
  document.addEventListener("click", function (event) {
    var form = document.getElementById("filter_form");
    if (!form || !(event.target instanceof Element) || !event.target.closest(".field-filters a.filter")) { return; }
    var row = form.querySelector(".filters tr:last-child");
    if (!row) { return; }
    row.querySelectorAll("a.remove-filter").forEach(asButton);
    var value = row.querySelector("td:last-child .select2-focusser") ||
      row.querySelector("td:last-child input.filter-val:not([type=hidden])");
    if (value) { value.focus(); }
  });

  // A filter removed: its row goes, focus with it. Flask-Admin's handler on the link removes the row and stops the
  // click, so from the capture phase a listener goes on the link itself, after that handler: the button that applies
  // what is left, else the filter menu.
  document.addEventListener("click", function (event) {
    var form = document.getElementById("filter_form");
    var link = form && event.target instanceof Element && event.target.closest("a.remove-filter");
    if (!link) { return; }
    link.addEventListener("click", function () {
      var menu = document.querySelector(".field-filters");
      var next = [form.querySelector("button[type=submit]"), form.querySelector("a.btn"),
        menu && menu.previousElementSibling].filter(visible)[0];
      (next || main).focus();
    }, { once: true });
  }, true);
})(jQuery);
