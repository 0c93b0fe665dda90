// The hall door's QR decoder for browsers without a native BarcodeDetector: jsQR (1.4.0, /static/jsQR.js,
// Apache-2.0) off the page's main thread. Each message is one camera frame ({id, width, height, pixels: RGBA});
// the answer is {id, text}, text null when the frame holds no QR code that can be read.
"use strict";
importScripts("/static/jsQR.js");

self.onmessage = function (event) {
  var frame = event.data, text = null;
  try {
    var found = self.jsQR(new Uint8ClampedArray(frame.pixels), frame.width, frame.height,
                          { inversionAttempts: "dontInvert" });  // a printed badge: dark modules on white
    text = found ? found.data : null;
  } catch (e) {
    text = null;
  }
  self.postMessage({ id: frame.id, text: text });
};
