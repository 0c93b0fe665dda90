// The web gate's own script: the CSRF token on every htmx request, Enter moving on (an ID card reader or a
// barcode scanner types the number and presses Enter), and the desk's number pad for the temperature.
(function () {
  "use strict";
  function cookie(name) {
    var found = document.cookie.split("; ").find(function (part) { return part.indexOf(name + "=") === 0; });
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["x-csrftoken"] = cookie("csrftoken");
  });
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.hasAttribute || !field.hasAttribute("data-enter-next")) { return; }
    event.preventDefault();
    var fields = Array.prototype.slice.call(field.form.querySelectorAll("[data-enter-next]"));
    var next = fields[fields.indexOf(field) + 1];
    if (next) { next.focus(); }
  });
  document.addEventListener("click", function (event) {
    var key = event.target.closest ? event.target.closest("[data-key]") : null;
    if (!key) { return; }
    var input = key.form.querySelector("input[name=celsius]");
    var value = key.getAttribute("data-key");
    input.value = value === "⌫" ? input.value.slice(0, -1) : input.value + value;
    input.focus();
  });
})();
