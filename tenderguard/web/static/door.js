// The hall door's scanner: a keyboard-wedge scanner types a badge's code into #door-scan and presses Enter; the
// code is verified here, with the centre's public key and its signed revocation list, as
// tenderguard/domain/badge_code.py verifies it (form, check bytes, Ed25519 signature, centre, day, revoked,
// reprinted), so the door works without the network. Each scan is queued with a nonce and uploaded when online.
(function () {
  "use strict";
  var PREFIX = "TG1", CHECK_BYTES = 6, MAX_CODE_LENGTH = 400, REFRESH_MS = 60000;
  var CENTRE_RE = /^[A-Za-z0-9_.\/-]{1,64}$/;
  var SERIAL_RE = /^[A-Za-z0-9_.\/-]{1,64}-[0-9]{8}-[0-9]{4,6}$/;
  // Python's strptime("%Y%m%d") pattern, matched from the start and then required to cover the whole text.
  var DAY_RE = /^([0-9]{4})(1[0-2]|0[1-9]|[1-9])(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])/;
  // int(): ASCII whitespace around, a sign, digits with single underscores between them.
  var INT_RE = /^[ \t\n\x0b\x0c\r\x1c-\x1f]*([+-]?)([0-9]+(?:_[0-9]+)*)[ \t\n\x0b\x0c\r\x1c-\x1f]*$/;
  var KEYS = { config: "tg-door-config", list: "tg-door-list", queue: "tg-door-queue", seen: "tg-door-seen" };
  var WORDS = { valid: "有效", malformed: "格式错误", altered: "伪造/已改动", bad_signature: "伪造/已改动",
                wrong_centre: "非本中心", wrong_day: "非今日", revoked: "已撤销", superseded: "已补打作废",
                unsupported: "无法在本设备验证" };
  var state = { config: null, key: null, unsupported: false, list: null, online: navigator.onLine,
                uploading: false, problem: "", shown: null };
  var timings = [];
  window.tgDoor = { timings: timings, state: state };

  // -- bytes, base64url, canonical JSON
  function b64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  // As _unb64: base64url without padding, and only the one canonical spelling of the bytes.
  function unb64(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) { return null; }
    var raw;
    try { raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)); }
    catch (e) { return null; }
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return b64(bytes) === text ? bytes : null;
  }
  function ascii(text) { return new TextEncoder().encode(text); }
  function concat(a, b) { var out = new Uint8Array(a.length + b.length); out.set(a); out.set(b, a.length); return out; }
  function same(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  // json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False), as the list is signed.
  function canonical(value) {
    if (value === null || typeof value !== "object") { return JSON.stringify(value); }
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    return "{" + Object.keys(value).sort().map(function (k) {
      return JSON.stringify(k) + ":" + canonical(value[k]);
    }).join(",") + "}";
  }
  function has(map, key) { return Object.prototype.hasOwnProperty.call(map, key); }

  // -- the code and its claim
  function stripEnds(text) { return text.replace(/^[ \t\r\n]+/, "").replace(/[ \t\r\n]+$/, ""); }
  function parse(code) {
    if (typeof code !== "string" || Array.from(code).length > MAX_CODE_LENGTH) { return null; }
    var parts = stripEnds(code).split(".");
    if (parts.length !== 4 || parts[0] !== PREFIX) { return null; }
    var body = unb64(parts[1]), check = unb64(parts[2]), signature = unb64(parts[3]);
    return body && check && signature ? { body: body, check: check, signature: signature } : null;
  }
  function daysIn(year, month) {
    return [31, leap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  }
  function leap(y) { return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0; }
  function pad(n, width) { var s = String(n); while (s.length < width) { s = "0" + s; } return s; }
  // As BadgeClaim.decode: None (null) for bytes that are not a claim.
  function decodeClaim(bytes) {
    for (var i = 0; i < bytes.length; i++) { if (bytes[i] > 127) { return null; } }
    var parts = String.fromCharCode.apply(null, bytes).split("|");
    if (parts.length !== 4) { return null; }
    var m = DAY_RE.exec(parts[2]);
    if (!m || m[0].length !== parts[2].length) { return null; }
    var year = +m[1], month = +m[2], day = +m[3].trim();
    if (year < 1 || day > daysIn(year, month)) { return null; }
    var n = INT_RE.exec(parts[3]);
    if (!n) { return null; }
    var reprint = parseInt(n[2].replace(/_/g, ""), 10) * (n[1] === "-" ? -1 : 1);
    if (!CENTRE_RE.test(parts[0]) || !SERIAL_RE.test(parts[1]) || !(reprint >= 0 && reprint < 1000)) { return null; }
    return { centre: parts[0], serial: parts[1], day: pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2),
             reprint: reprint };
  }
  function today() {  // the device's date in Asia/Shanghai
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
                                               day: "2-digit" }).format(new Date());
  }
  // As verify_code: form, check, signature, centre, day, revoked, latest print.
  async function verify(code) {
    var parsed = parse(code);
    if (!parsed) { return { reason: "malformed", claim: null }; }
    var claim = decodeClaim(parsed.body);
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", parsed.body));
    if (!same(digest.slice(0, CHECK_BYTES), parsed.check)) { return { reason: "altered", claim: claim }; }
    if (!claim) { return { reason: "malformed", claim: null }; }
    if (!state.key) { return { reason: "unsupported", claim: claim }; }
    var good = await crypto.subtle.verify({ name: "Ed25519" }, state.key, parsed.signature,
                                          concat(ascii(PREFIX + "."), parsed.body));
    if (!good) { return { reason: "bad_signature", claim: claim }; }
    if (claim.centre !== state.config.centre) { return { reason: "wrong_centre", claim: claim }; }
    if (claim.day !== today()) { return { reason: "wrong_day", claim: claim }; }
    var list = state.list && state.list.day === claim.day ? state.list : null;
    if (list) {
      if (has(list.revoked, claim.serial)) {
        return { reason: "revoked", claim: claim, detail: list.revoked[claim.serial] };
      }
      if (claim.reprint < (has(list.reprints, claim.serial) ? list.reprints[claim.serial] : 0)) {
        return { reason: "superseded", claim: claim };
      }
    }
    return { reason: "valid", claim: claim };
  }

  // -- storage
  function load(name, fallback) {
    try { var v = localStorage.getItem(KEYS[name]); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function keep(name, value) { localStorage.setItem(KEYS[name], JSON.stringify(value)); }

  // -- the banner
  function el(id) { return document.getElementById(id); }
  function banner() {
    var online = state.online && !state.problem;
    el("door-banner").setAttribute("data-online", String(online));
    el("door-net").textContent = online ? "在线" : state.online ? "无法连接服务器:" + state.problem
      : "离线 — 照常验证,记录待联网后上传";
    var list = state.list;
    if (list) {
      var minutes = Math.max(0, Math.round((Date.now() - Date.parse(list.signed_at)) / 60000));
      el("door-list").textContent = "吊销名单 #" + list.sequence + "(" + (minutes < 1 ? "不到 1" : minutes) + " 分钟前)";
    }
    var waiting = load("queue", []).length;
    el("door-queue").textContent = "待上传 " + waiting + " 条";
    el("door-queue").setAttribute("data-waiting", String(waiting));
  }

  // -- the revocation list: signed by the centre; never replaced by an older one
  async function acceptList(text) {
    var outer = JSON.parse(text), body = outer.list, signature = unb64(outer.signature || "");
    if (!body || !signature || !state.key) { throw new Error("名单格式错误"); }
    var good = await crypto.subtle.verify({ name: "Ed25519" }, state.key, signature, ascii(canonical(body)));
    if (!good || body.centre !== state.config.centre) { throw new Error("名单签名无效"); }
    var held = state.list;
    if (held && (body.day < held.day || (body.day === held.day && body.sequence < held.sequence))) {
      throw new Error("拒绝旧名单 #" + body.sequence + "(本机已有 #" + held.sequence + ")");
    }
    state.list = body;
    keep("list", text);
  }
  async function refreshList() {
    if (!state.key) { return; }
    try {
      var answer = await fetch("/door/revocations", { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      await acceptList(await answer.text());
      state.problem = "";
    } catch (e) {
      if (state.online) { state.problem = String(e.message || e); }
    }
    banner();
  }

  // -- the queue of scans to upload
  function nonce() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return b64(bytes);
  }
  function cookie(name) {
    var found = document.cookie.split("; ").find(function (part) { return part.indexOf(name + "=") === 0; });
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  async function upload() {
    var queue = load("queue", []);
    if (state.uploading || !queue.length || !navigator.onLine) { banner(); return; }
    state.uploading = true;
    try {
      var answer = await fetch("/door/scans", { method: "POST", credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrftoken": cookie("csrftoken") },
        body: JSON.stringify(queue) });
      if (!answer.ok) {
        throw new Error(answer.status === 401 || answer.status === 403 ? "请重新登录" : "HTTP " + answer.status);
      }
      var answers = (await answer.json()).answers;
      var done = {};
      answers.forEach(function (a) { done[a.nonce] = a; });
      keep("queue", load("queue", []).filter(function (s) { return !has(done, s.nonce); }));
      if (state.shown && has(done, state.shown) && done[state.shown].pass_back) { warn("已在场内"); }
      state.problem = "";
    } catch (e) {
      state.problem = String(e.message || e);
    } finally {
      state.uploading = false;
      banner();
    }
  }

  // -- a scan
  function warn(text) {
    var box = el("verdict");
    if (box.querySelector(".warning")) { return; }
    var w = document.createElement("p");
    w.className = "warning"; w.textContent = "⚠ " + text;
    box.setAttribute("data-warning", "pass_back");
    box.appendChild(w);
  }
  function show(result, direction) {
    var box = el("verdict"), claim = result.claim;
    var verdict = result.reason === "valid" ? "valid" : result.reason === "unsupported" ? "unverified" : "invalid";
    box.setAttribute("data-verdict", verdict);
    box.setAttribute("data-reason", result.reason);
    box.removeAttribute("data-warning");
    box.textContent = "";
    var head = document.createElement("p");
    head.className = "big";
    head.textContent = verdict === "valid" ? "有效 · " + (direction === "in" ? "入场" : "离场")
      : verdict === "invalid" ? "无效 · " + WORDS[result.reason] : WORDS.unsupported;
    box.appendChild(head);
    if (claim) {
      var rows = [["标识编号", claim.serial], ["有效日期", claim.day],
                  ["打印", claim.reprint ? "第 " + claim.reprint + " 次补打" : "原件"]];
      if (result.detail) { rows.push(["原因", result.detail]); }
      var dl = document.createElement("dl");
      rows.forEach(function (r) {
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = r[0]; dd.textContent = r[1]; dl.appendChild(dt); dl.appendChild(dd);
      });
      box.appendChild(dl);
    }
  }
  async function scanned(code, started) {
    var direction = document.querySelector("input[name=direction]:checked").value;
    var result = state.unsupported ? { reason: "unsupported", claim: null } : await verify(code);
    show(result, direction);
    var id = nonce();
    state.shown = id;
    if (result.reason === "valid") {  // this device's memory of who went in: a second "in" is a pass-back
      var seen = load("seen", {}), key = result.claim.day + "|" + result.claim.serial;
      if (direction === "in" && seen[key] === "in") { warn("已在场内"); }
      seen[key] = direction;
      keep("seen", seen);
    }
    if (result.reason !== "unsupported") {
      var queue = load("queue", []);
      queue.push({ nonce: id, code: code, direction: direction, scanned_at: new Date().toISOString(),
                   verdict: result.reason === "valid" ? "valid" : "invalid", reason: result.reason });
      keep("queue", queue);
    }
    requestAnimationFrame(function () { timings.push(performance.now() - started); });
    banner();
    upload();
  }

  // -- start
  async function start() {
    var input = el("door-scan");
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var started = performance.now(), code = input.value;
      input.value = "";
      input.focus();
      if (code.trim()) { scanned(code, started); }
    });
    document.querySelectorAll("input[name=direction]").forEach(function (r) {
      r.addEventListener("change", function () { input.focus(); });
    });
    el("verdict").addEventListener("click", function () { input.focus(); });
    window.addEventListener("online", function () {
      state.online = true; state.problem = ""; refreshList(); upload();
    });
    window.addEventListener("offline", function () { state.online = false; banner(); });
    try {
      var answer = await fetch("/door/config", { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      state.config = await answer.json();
      keep("config", state.config);
    } catch (e) {
      state.config = load("config", null);
    }
    if (!state.config) { state.problem = "无法取得本中心配置"; banner(); return; }
    try {
      state.key = await crypto.subtle.importKey("raw", unb64(state.config.public_key), { name: "Ed25519" }, false,
                                                ["verify"]);
    } catch (e) {
      state.unsupported = true;  // no Ed25519 in this browser's WebCrypto
      show({ reason: "unsupported", claim: null }, "in");
    }
    var held = load("list", null);
    if (typeof held === "string" && state.key) {
      try { await acceptList(held); } catch (e) { state.list = null; }
    }
    await refreshList();
    upload();
    setInterval(function () { if (navigator.onLine) { refreshList(); upload(); } else { banner(); } }, REFRESH_MS);
    setInterval(banner, 15000);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/door/sw.js", { scope: "/door" }).catch(function () {
        state.problem = "无法启用离线模式"; banner();
      });
    }
    input.focus();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
