// What Flask-Admin's templates did with inline handlers and javascript: links, which the Content-Security-Policy
// (admin_app/headers.py) refuses to run. Our copies of those templates (templates/admin/actions.html,
// model/row_actions.html, model/layout.html) say it with data- attributes instead. One listener on the document, in
// the capture phase, so that it also sees menus and rows added later and clicks that other handlers stop.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }

    // The list's bulk-action menu (was onclick="return modelActions.execute(name)"; actions.js defines it).
    var action = target.closest("[data-model-action]");
    if (action) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-model-action"));
      return;
    }

    // The delete button of a row (was onclick="return faHelpers.safeConfirm(...)"): no answer, no delete.
    var confirming = target.closest("[data-confirm]");
    if (confirming) {
      if (!window.faHelpers.safeConfirm(confirming.getAttribute("data-confirm"))) { event.preventDefault(); }
      return;
    }

    // Links that are not for following. Menu toggles: Flask-Admin's multi-level dropdown script stops the event
    // before Bootstrap's handler can cancel it, so "#" would be followed. Links whose behaviour a script binds (the
    // filter menu's entries: bs4_filters.js). Flask-Admin's own javascript:void(0) links in the templates we do not
    // copy (the current tab, the pager's current page): following one does nothing but report a violation.
    if (target.closest("a[data-toggle='dropdown'], a[data-prevent-default], a[href^='javascript:']")) {
      event.preventDefault();
    }
  }, true);
})();
