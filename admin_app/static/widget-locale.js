// Flask-Admin's widgets in the page's language: select2 3.5.2's messages, moment's month and day names (which the
// date pickers show) and the pickers' buttons. The words come from the server (admin_app/admin/widget_locale.py) in
// this script tag's data-strings; the page's language is <html lang>. Loaded after jQuery, moment and select2 and
// before Flask-Admin's form.js, which sets the widgets up when the page has loaded.
(function ($, moment) {
  "use strict";

  var script = document.currentScript;
  var strings = JSON.parse((script && script.getAttribute("data-strings")) || "null");
  if (!strings || !$ || !$.fn.select2 || !moment) { return; }
  var language = document.documentElement.lang || "en";
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(language) : null;

  // select2 and the pickers put these in the page as HTML.
  function escaped(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  // forms: the translation for each plural category (widget_locale.plurals), %(num)s still in it.
  function counted(forms, number) {
    var category = rules ? rules.select(number) : (number === 1 ? "one" : "other");
    var text = forms[category] || forms.other || forms.one || "";
    // Latin digits, as the server writes numbers (Babel's default) in every language, Arabic too.
    return escaped(text.replace("%(num)s", number.toLocaleString(language, { numberingSystem: "latn" })));
  }

  var words = strings.select2;
  $.extend($.fn.select2.defaults, {
    formatNoMatches: function () { return escaped(words.noMatches); },
    formatSearching: function () { return escaped(words.searching); },
    formatLoadMore: function () { return escaped(words.loadMore); },
    formatAjaxError: function () { return escaped(words.ajaxError); },
    formatInputTooShort: function (input, min) { return counted(words.inputTooShort, min - input.length); },
    formatInputTooLong: function (input, max) { return counted(words.inputTooLong, input.length - max); },
    formatSelectionTooBig: function (limit) { return counted(words.selectionTooBig, limit); },
    formatMatches: function (matches) { return counted(words.matches, matches); }
  });

  // form.js gives the "in list" filters' box a hint of its own, in English: put ours in its place. The wrapper keeps
  // select2's defaults, locales and the rest, which hang off the function.
  var select2 = $.fn.select2;
  var TAGS_HINT = "Enter comma separated values";  // form.js 2.x (tests/admin/test_widget_locale.py checks it)
  $.fn.select2 = $.extend(function (options) {
    if (options && typeof options.formatNoMatches === "function" && options.formatNoMatches() === TAGS_HINT) {
      options.formatNoMatches = function () { return escaped(words.tagsHint); };
    }
    return select2.apply(this, arguments);
  }, select2);

  // A locale of our own name (defining a built-in name again is deprecated), made the global one: the pickers read
  // their month and day names and the week's first day from it.
  moment.defineLocale("x-back-office-" + language.toLowerCase(), strings.moment);

  // The date pickers' buttons: daterangepicker.js is loaded after this script, just before form.js, which announces
  // itself with adminFormReady before it sets any widget up (bs4_filters.js triggers the event again).
  var labels = {};
  $.each(strings.daterangepicker, function (key, text) { labels[key] = escaped(text); });
  $(document).on("adminFormReady", function () {
    var picker = $.fn.daterangepicker;
    if (!picker || picker.backOfficeLocale) { return; }
    $.fn.daterangepicker = function (options, callback) {
      return picker.call(this, $.extend(true, { locale: labels }, options), callback);
    };
    $.fn.daterangepicker.backOfficeLocale = true;
  });
})(window.jQuery, window.moment);
