// The hall door's camera: reads badge QR codes from the device's (rear) camera, with the browser's own
// BarcodeDetector where it reads qr_code, else with jsQR in a Web Worker (/static/door-qr-worker.js). Each code
// read is handed to ``onCode`` once: the same code seen again within DEBOUNCE_MS of its last sighting (a badge
// held in front of the camera for several frames) is not handed again.
(function () {
  "use strict";
  var DEBOUNCE_MS = 2000, MIN_FRAME_GAP_MS = 60, MAX_SIDE = 1280;
  var WORKER = "/static/door-qr-worker.js";
  var FAILURES = { NotAllowedError: "未获准使用摄像头", SecurityError: "未获准使用摄像头",
                   NotFoundError: "未找到摄像头", OverconstrainedError: "未找到摄像头",
                   NotReadableError: "摄像头被其他程序占用" };

  async function nativeDetector() {
    if (!("BarcodeDetector" in window)) { return null; }
    try {
      var formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.indexOf("qr_code") < 0) { return null; }
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return { kind: "native", stop: function () {}, read: async function (video) {
        var codes = await detector.detect(video);
        return codes.length ? codes[0].rawValue : null;
      } };
    } catch (e) {
      return null;
    }
  }

  function workerDecoder() {
    var worker = new Worker(WORKER), pending = {}, next = 0, broken = null;
    var canvas = document.createElement("canvas"), context = canvas.getContext("2d", { willReadFrequently: true });
    function settleAll(error) {
      Object.keys(pending).forEach(function (id) { pending[id].reject(error); delete pending[id]; });
    }
    worker.onmessage = function (event) {
      var waiting = pending[event.data.id];
      delete pending[event.data.id];
      if (waiting) { waiting.resolve(event.data.text); }
    };
    worker.onerror = function (event) {
      event.preventDefault();
      broken = new Error("无法加载二维码解码器");
      settleAll(broken);
    };
    return { kind: "jsqr", stop: function () { worker.terminate(); settleAll(new Error("stopped")); },
      read: function (video) {
        if (broken) { return Promise.reject(broken); }
        var scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
        var width = Math.round(video.videoWidth * scale), height = Math.round(video.videoHeight * scale);
        if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
        context.drawImage(video, 0, 0, width, height);
        var pixels = context.getImageData(0, 0, width, height).data.buffer, id = ++next;
        return new Promise(function (resolve, reject) {
          pending[id] = { resolve: resolve, reject: reject };
          worker.postMessage({ id: id, width: width, height: height, pixels: pixels }, [pixels]);
        });
      } };
  }

  // A camera bound to a <video> element. ``onCode(text, readAt)`` gets each new code (readAt: performance.now()
  // when its frame was taken); ``onState(state, message)`` hears "starting", "on", "off" and "error".
  function create(options) {
    var video = options.video, stream = null, decoder = null, running = false, last = { text: null, at: 0 };
    var run = 0;  // each start is a new run: what an earlier run still had under way is dropped
    var camera = { decoder: null, startedAt: null, firstFrameAt: null, frames: 0, running: false };

    function tell(state, message) { camera.running = state === "on"; options.onState(state, message || ""); }
    function seen(text, readAt) {
      var now = performance.now(), repeat = text === last.text && now - last.at < DEBOUNCE_MS;
      last = { text: text, at: now };
      if (!repeat) { options.onCode(text, readAt); }
    }
    function current(mine) { return running && mine === run; }
    async function tick(mine) {
      if (!current(mine)) { return; }
      var readAt = performance.now();
      if (video.readyState >= 2 && video.videoWidth) {
        if (camera.firstFrameAt === null) { camera.firstFrameAt = readAt; }
        camera.frames++;
        var text = null;
        try {
          text = await decoder.read(video);
        } catch (e) {
          if (current(mine)) { running = false; release(); tell("error", String(e.message || e)); }
          return;
        }
        if (!current(mine)) { return; }
        if (text) { seen(text, readAt); }
      }
      setTimeout(function () { tick(mine); }, Math.max(0, MIN_FRAME_GAP_MS - (performance.now() - readAt)));
    }

    function release() {
      if (decoder) { decoder.stop(); decoder = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.srcObject = null;
      video.hidden = true;
    }
    camera.start = async function () {
      if (running) { return; }
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        tell("error", "此页面无法使用摄像头（需要 HTTPS）");
        return;
      }
      running = true;
      var mine = ++run;
      camera.startedAt = performance.now();
      camera.firstFrameAt = null;
      camera.frames = 0;
      last = { text: null, at: 0 };
      tell("starting");
      try {
        var opened = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" },
                                                                 audio: false });
        if (!current(mine)) { opened.getTracks().forEach(function (t) { t.stop(); }); return; }  // stopped meanwhile
        stream = opened;
        var found = (await nativeDetector()) || workerDecoder();
        if (!current(mine)) { found.stop(); return; }
        decoder = found;
        camera.decoder = found.kind;
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
      } catch (e) {
        if (!current(mine)) { return; }
        running = false;
        release();
        tell("error", FAILURES[e && e.name] || "无法打开摄像头：" + String((e && e.message) || e));
        return;
      }
      if (!current(mine)) { return; }
      tell("on");
      tick(mine);
    };
    camera.stop = function () {
      var was = running || stream !== null;
      running = false;
      run++;
      release();
      if (was) { tell("off"); }
    };
    // A hidden page lets the camera go (another app may need it); the clerk starts it again.
    document.addEventListener("visibilitychange", function () { if (document.hidden) { camera.stop(); } });
    return camera;
  }

  window.TGDoorCamera = { create: create, DEBOUNCE_MS: DEBOUNCE_MS };
})();
