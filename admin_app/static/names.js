// What Flask-Admin's scripts build without an accessible name (axe: link-name, WCAG 2.4.4, 4.1.2), on every model
// view's pages (SecuredModelView.extra_js): select2's "×" on each choice of a multiple select (a form's roles) is an
// empty link. It is out of the Tab order already, and Backspace in the field removes a choice: hidden from screen
// readers too, as its icon is. A MutationObserver, since select2 adds a choice's link whenever one is picked.
(function () {
  "use strict";

  function hide(root) {
    if (!(root instanceof Element)) { return; }
    var links = root.matches("a.select2-search-choice-close") ? [root] :
      root.querySelectorAll("a.select2-search-choice-close");
    Array.prototype.forEach.call(links, function (link) { link.setAttribute("aria-hidden", "true"); });
  }

  hide(document.documentElement);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) { Array.prototype.forEach.call(change.addedNodes, hide); });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
