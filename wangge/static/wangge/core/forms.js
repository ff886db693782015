/* Small behaviours that were inline event handlers before the Content-Security-Policy
   (script-src 'self') forbade them:
   - a <select data-autosubmit> submits its form as soon as it changes (language, filters);
   - a <button data-print> prints the page (the door plate). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
