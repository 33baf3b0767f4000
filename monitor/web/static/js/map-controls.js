/* Map pages: apply a choice (colour, country, type) as soon as it is made.
 * Without JavaScript the form's "Show" button does the same. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autosubmit]");
  Array.prototype.forEach.call(forms, function (form) {
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () {
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    });
  });
  var code = document.getElementById("embed-code");
  if (code) {
    code.addEventListener("focus", function () { code.select(); });
  }
})();
