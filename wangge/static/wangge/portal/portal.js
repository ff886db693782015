/* The success page: copy the tracking link. */
(function () {
  "use strict";
  var button = document.getElementById("copy-link");
  var input = document.getElementById("track-link");
  var status = document.getElementById("copy-status");
  if (!button || !input) { return; }
  input.addEventListener("focus", function () { input.select(); });
  button.addEventListener("click", function () {
    function done() { status.textContent = button.dataset.copied; }
    function failed() { input.focus(); input.select(); status.textContent = button.dataset.failed; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, failed);
    } else {
      input.focus(); input.select();
      try { if (document.execCommand("copy")) { done(); } else { failed(); } } catch (e) { failed(); }
    }
  });
})();
