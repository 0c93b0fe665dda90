// The hall door's scanner page: a keyboard-wedge scanner types a badge's code into #door-scan and presses Enter,
// or the camera reads the badge's QR code (door-camera.js); either way the code is verified here
// (door-verify.js), with the centre's public key and its signed revocation list, so the door works without the
// network. Each scan is queued in IndexedDB with a nonce (door-queue.js) and uploaded when the network is there.
(function () {
  "use strict";
  var REFRESH_MS = 60000, UPLOAD_BATCH = 500;  // as MAX_SCANS in tenderguard/web/door.py
  var KEYS = { config: "tg-door-config", list: "tg-door-list", seen: "tg-door-seen" };
  var WORDS = { valid: "有效", malformed: "格式错误", altered: "伪造/已改动", bad_signature: "伪造/已改动",
                wrong_centre: "非本中心", wrong_day: "非今日", revoked: "已撤销", superseded: "已补打作废",
                unsupported: "无法在本设备验证" };
  var CAMERA_WORDS = { off: "开启摄像头", starting: "正在开启……", on: "关闭摄像头", error: "开启摄像头" };
  var V = window.TGDoorVerify, queue = window.TGDoorQueue;
  var state = { config: null, checker: null, verifier: null, unsupported: false, list: null,
                online: navigator.onLine, uploading: false, again: false, problem: "", shown: null, waiting: 0,
                lastVerdict: null };
  var timings = [];
  var door = { timings: timings, state: state, camera: null, queued: function () { return queue.all(); } };
  window.tgDoor = door;

  // -- small storage (configuration, the list, who went in): localStorage
  function load(name, fallback) {
    try { var v = localStorage.getItem(KEYS[name]); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function keep(name, value) { localStorage.setItem(KEYS[name], JSON.stringify(value)); }

  // -- the banner: online or not, the list's number and age, the scans waiting
  function el(id) { return document.getElementById(id); }
  function banner() {
    var online = state.online && !state.problem;
    el("door-banner").setAttribute("data-online", String(online));
    el("door-net").textContent = online ? "在线" : state.online ? "无法连接服务器：" + state.problem
      : "离线 — 照常验证，记录待联网后上传";
    var list = state.list;
    if (list) {
      var minutes = Math.max(0, Math.round((Date.now() - Date.parse(list.signed_at)) / 60000));
      el("door-list").textContent = "吊销名单 #" + list.sequence + "（" + (minutes < 1 ? "不到 1" : minutes) + " 分钟前）";
    }
    var waiting = el("door-queue");
    waiting.textContent = "待上传 " + state.waiting + " 条" + (queue.durable === false ? "（本机无法保存，请勿刷新）" : "");
    waiting.setAttribute("data-waiting", String(state.waiting));
  }
  async function recount() {
    try { state.waiting = await queue.count(); } catch (e) { state.problem = "无法读取待上传记录"; }
    banner();
  }

  // -- the revocation list: signed by the centre; never replaced by an older one
  async function acceptList(text) {
    state.list = await V.checkList(text, held());
    keep("list", text);
  }
  async function refreshList() {
    if (!state.checker) { return; }
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
  function held() { return { checker: state.checker, centre: state.config.centre, list: state.list }; }

  // -- the upload of the scans waiting
  function cookie(name) {
    var found = document.cookie.split("; ").find(function (part) { return part.indexOf(name + "=") === 0; });
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  async function upload() {
    if (state.uploading) { state.again = true; return; }
    if (!navigator.onLine) { return recount(); }
    state.uploading = true;
    state.again = false;
    try {
      var waiting = await queue.all(), scans = waiting.slice(0, UPLOAD_BATCH);
      if (waiting.length > scans.length) { state.again = true; }  // a long night offline: several uploads
      if (scans.length) {
        var answer = await fetch("/door/scans", { method: "POST", credentials: "same-origin",
          headers: { "content-type": "application/json", "x-csrftoken": cookie("csrftoken") },
          body: JSON.stringify(scans) });
        if (!answer.ok) {
          throw new Error(answer.status === 401 || answer.status === 403 ? "请重新登录" : "HTTP " + answer.status);
        }
        var done = {};
        (await answer.json()).answers.forEach(function (a) { done[a.nonce] = a; });
        await queue.remove(Object.keys(done));
        if (state.shown && V.has(done, state.shown) && done[state.shown].pass_back) { warn("已在场内"); }
      }
      state.problem = "";
    } catch (e) {
      state.problem = String(e.message || e);
      state.again = false;
    } finally {
      state.uploading = false;
      await recount();
    }
    if (state.again) { upload(); }  // scans made while the upload was on its way
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
  function show(result, direction, source) {
    var box = el("verdict"), claim = result.claim;
    var verdict = result.reason === "valid" ? "valid" : result.reason === "unsupported" ? "unverified" : "invalid";
    box.setAttribute("data-verdict", verdict);
    box.setAttribute("data-reason", result.reason);
    box.setAttribute("data-source", source);
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
  // A code read by the wedge scanner or the camera (``source``), ``started`` the performance.now() of the read.
  async function scanned(code, started, source) {
    var direction = document.querySelector("input[name=direction]:checked").value;
    var result = state.unsupported ? { reason: "unsupported", claim: null } : await V.verify(code, held());
    show(result, direction, source);
    var id = V.b64(crypto.getRandomValues(new Uint8Array(16)));
    state.shown = id;
    if (result.reason === "valid") {  // this device's memory of who went in: a second "in" is a pass-back
      var seen = load("seen", {}), key = result.claim.day + "|" + result.claim.serial;
      if (direction === "in" && seen[key] === "in") { warn("已在场内"); }
      seen[key] = direction;
      keep("seen", seen);
    }
    requestAnimationFrame(function () {
      var now = performance.now();
      timings.push(now - started);
      state.lastVerdict = { source: source, reason: result.reason, at: now };
    });
    if (result.reason === "unsupported") { return; }
    try {
      await queue.add({ nonce: id, code: code, direction: direction, scanned_at: new Date().toISOString(),
                        verdict: result.reason === "valid" ? "valid" : "invalid", reason: result.reason });
    } catch (e) {
      state.problem = "无法保存扫码记录";
    }
    await recount();
    upload();
  }

  // -- the camera control
  function wireCamera(input) {
    var button = el("door-camera"), note = el("door-camera-state");
    if (!button || !window.TGDoorCamera) { return; }
    var camera = window.TGDoorCamera.create({
      video: el("door-video"),
      onCode: function (code, readAt) { scanned(code, readAt, "camera"); },
      onState: function (now, message) {
        button.textContent = CAMERA_WORDS[now];
        button.setAttribute("data-camera", now);
        note.textContent = message;
        input.focus({ preventScroll: true });  // the wedge scanner keeps typing into the field beside the camera
      }
    });
    door.camera = camera;
    button.addEventListener("click", function () {
      if (camera.running || button.getAttribute("data-camera") === "starting") { camera.stop(); } else { camera.start(); }
    });
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
      if (code.trim()) { scanned(code, started, "wedge"); }
    });
    document.querySelectorAll("input[name=direction]").forEach(function (r) {
      r.addEventListener("change", function () { input.focus(); });
    });
    el("verdict").addEventListener("click", function () { input.focus(); });
    window.addEventListener("online", function () {
      state.online = true; state.problem = ""; refreshList(); upload();
    });
    window.addEventListener("offline", function () { state.online = false; banner(); });
    await queue.adopt();
    await recount();
    try {
      var answer = await fetch("/door/config", { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      state.config = await answer.json();
      keep("config", state.config);
    } catch (e) {
      state.config = load("config", null);
    }
    if (!state.config) { state.problem = "无法取得本中心配置"; banner(); return; }
    state.checker = await V.checker(state.config.public_key);
    state.verifier = state.checker ? state.checker.kind : null;
    if (!state.checker) {
      state.unsupported = true;  // neither WebCrypto's Ed25519 nor the vendored verifier works here
      show({ reason: "unsupported", claim: null }, "in", "start");
    }
    var list = load("list", null);
    if (typeof list === "string" && state.checker) {
      try { await acceptList(list); } catch (e) { state.list = null; }
    }
    wireCamera(input);
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
