// A job's page: ask the server for the job's progress every second and move the bar, without reloading; once
// the job has ended, show its result (the same message, and Undo, as an operation run at once).
(function () {
  var page = document.getElementById("job");
  if (!page) { return; }
  var bar = document.getElementById("job-progress");
  // The page gives the bar no width of its own: the Content-Security-Policy refuses style attributes in markup.
  bar.style.width = bar.getAttribute("aria-valuenow") + "%";
  if (page.getAttribute("data-ended") === "1") { return; }
  var rows = document.getElementById("job-rows");
  var status = document.getElementById("job-status");
  var resultBox = document.getElementById("job-result");
  var cancel = document.getElementById("job-cancel");

  function show(progress) {
    bar.style.width = progress.percent + "%";
    bar.setAttribute("aria-valuenow", progress.percent);
    bar.textContent = progress.percent + " %";
    rows.textContent = progress.rows;
    status.textContent = progress.label;
    if (cancel && progress.status !== "queued") { cancel.remove(); cancel = null; }
    if (progress.ended) {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      resultBox.innerHTML = progress.result;
      page.setAttribute("data-ended", "1");
    }
    return progress.ended;
  }

  function poll() {
    fetch(page.getAttribute("data-progress-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) { if (!progress || !show(progress)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 1000);
})();
