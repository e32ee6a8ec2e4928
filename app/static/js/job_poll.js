// The job page (jobs/show.html): poll the job's status every second while it is queued or running, show
// its progress, and reload the page once it has finished so the result is rendered by the server.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box) return;
  var status = box.getAttribute("data-job-status");
  if (status !== "queued" && status !== "running") return;
  var url = box.getAttribute("data-job-status-url");
  var bar = box.querySelector("[data-job-progress]");
  var percent = box.querySelector("[data-job-percent]");
  var counted = box.querySelector("[data-job-count]");
  var labels = {queued: "排队中", running: "进行中", done: "已完成", failed: "失败"};
  var label = box.querySelector("[data-job-label]");

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) return;
        bar.value = job.percent;
        percent.textContent = job.percent + "%";
        counted.textContent = job.done + " / " + job.total;
        label.textContent = labels[job.status] || job.status;
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
