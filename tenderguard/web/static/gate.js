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
  // A health declaration form's QR code (TGFORM|centre|session|yyyymmdd), read by a scanner into #form-scan:
  // picks the form's session when it is this centre's and today's, and says so either way.
  function formScanned(input) {
    var parts = input.value.trim().split("|");
    var out = document.getElementById("form-scan-result");
    var select = document.getElementById("session");
    input.value = "";
    if (parts.length !== 4 || parts[0] !== "TGFORM") {
      out.className = "error"; out.textContent = "不是健康调查表的二维码"; return;
    }
    if (parts[1] !== input.dataset.centre) {
      out.className = "error"; out.textContent = "调查表不是本中心的"; return;
    }
    if (parts[3] !== input.dataset.day) {
      out.className = "error"; out.textContent = "调查表不是今日场次的（" + parts[3] + "）"; return;
    }
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === parts[2]; });
    if (!option) {
      out.className = "error"; out.textContent = "今日没有场次 " + parts[2]; return;
    }
    select.value = parts[2];
    select.dispatchEvent(new Event("change", { bubbles: true }));
    out.className = "ok"; out.textContent = "调查表场次：" + option.textContent;
    document.getElementById("id_number").focus();
  }
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && field.hasAttribute && field.hasAttribute("data-form-scan")) {
      event.preventDefault();
      formScanned(field);
      return;
    }
    if (event.key !== "Enter" || !field.hasAttribute || !field.hasAttribute("data-enter-next")) { return; }
    event.preventDefault();
    var fields = Array.prototype.slice.call(field.form.querySelectorAll("[data-enter-next]"));
    var next = fields[fields.indexOf(field) + 1];
    if (next) { next.focus(); }
  });
  // A company picked from the names seen on earlier days fills its credit code (and so runs the place check).
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.id !== "company") { return; }
    var picked = Array.prototype.find.call(document.querySelectorAll("#company-options option"),
                                           function (o) { return o.value === field.value; });
    var code = document.getElementById("credit_code");
    if (picked && code && !code.value) {
      code.value = picked.dataset.code;
      code.dispatchEvent(new Event("change", { bubbles: true }));
    }
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
