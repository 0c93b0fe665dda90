// The hall door's verification of a badge code, as tenderguard/domain/badge_code.py verifies it: form, check
// bytes, Ed25519 signature, centre, day (Asia/Shanghai), revoked, latest print. Signatures are checked with
// WebCrypto's Ed25519 where the browser has it, else with the vendored @noble/ed25519 (3.2.0, /static/
// noble-ed25519.js, its SHA-512 taken from WebCrypto) in its strict RFC 8032 mode, as the server's verifier is.
(function () {
  "use strict";
  var PREFIX = "TG1", CHECK_BYTES = 6, MAX_CODE_LENGTH = 400;
  var CENTRE_RE = /^[A-Za-z0-9_.\/-]{1,64}$/;
  var SERIAL_RE = /^[A-Za-z0-9_.\/-]{1,64}-[0-9]{8}-[0-9]{4,6}$/;
  // Python's strptime("%Y%m%d") pattern, matched from the start and then required to cover the whole text.
  var DAY_RE = /^([0-9]{4})(1[0-2]|0[1-9]|[1-9])(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])/;
  // int(): ASCII whitespace around, a sign, digits with single underscores between them.
  var INT_RE = /^[ \t\n\x0b\x0c\r\x1c-\x1f]*([+-]?)([0-9]+(?:_[0-9]+)*)[ \t\n\x0b\x0c\r\x1c-\x1f]*$/;
  var NOBLE = "/static/noble-ed25519.js";

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

  // -- the signature checker: WebCrypto's Ed25519, else @noble/ed25519
  async function webCrypto(raw) {
    var key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    return { kind: "webcrypto", verify: function (signature, message) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message).catch(function () { return false; });
    } };
  }
  async function noble(raw) {
    var ed = await import(NOBLE);
    ed.hashes.sha512Async = async function (message) {
      return new Uint8Array(await crypto.subtle.digest("SHA-512", message));
    };
    // zip215: false is RFC 8032's rule (canonical encodings, S below the group order, no small-order key), the
    // rule of the server's verifier (cryptography / OpenSSL); a malformed signature is a bad one, not an error.
    return { kind: "noble", verify: function (signature, message) {
      return ed.verifyAsync(signature, message, raw, { zip215: false }).catch(function () { return false; });
    } };
  }
  // The checker of the centre's public key (raw, base64url), or null when this browser can check no signature.
  async function checker(publicKey) {
    var raw = unb64(publicKey || "");
    if (!raw || raw.length !== 32 || !window.crypto || !crypto.subtle) { return null; }
    try { return await webCrypto(raw); } catch (e) { /* no Ed25519 in this browser's WebCrypto */ }
    try { return await noble(raw); } catch (e) { return null; }
  }

  // -- the code and its claim
  function stripEnds(text) { return text.replace(/^[ \t\r\n]+/, "").replace(/[ \t\r\n]+$/, ""); }
  function parse(code) {
    if (typeof code !== "string" || Array.from(code).length > MAX_CODE_LENGTH) { return null; }
    var parts = stripEnds(code).split(".");
    if (parts.length !== 4 || parts[0] !== PREFIX) { return null; }
    var body = unb64(parts[1]), check = unb64(parts[2]), signature = unb64(parts[3]);
    return body && check && signature ? { body: body, check: check, signature: signature } : null;
  }
  function leap(y) { return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0; }
  function daysIn(year, month) {
    return [31, leap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  }
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

  // As verify_code: form, check, signature, centre, day, revoked, latest print. ``held`` is what the page holds:
  // the checker, the centre's code and the revocation list (or null).
  async function verify(code, held) {
    var parsed = parse(code);
    if (!parsed) { return { reason: "malformed", claim: null }; }
    var claim = decodeClaim(parsed.body);
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", parsed.body));
    if (!same(digest.slice(0, CHECK_BYTES), parsed.check)) { return { reason: "altered", claim: claim }; }
    if (!claim) { return { reason: "malformed", claim: null }; }
    if (!held.checker) { return { reason: "unsupported", claim: claim }; }
    var good = await held.checker.verify(parsed.signature, concat(ascii(PREFIX + "."), parsed.body));
    if (!good) { return { reason: "bad_signature", claim: claim }; }
    if (claim.centre !== held.centre) { return { reason: "wrong_centre", claim: claim }; }
    if (claim.day !== today()) { return { reason: "wrong_day", claim: claim }; }
    var list = held.list && held.list.day === claim.day ? held.list : null;
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

  // A signed revocation list (the text /door/revocations answers) checked against the one held: its body, or an
  // Error saying why it is refused (bad form, bad signature, another centre, older than the one held).
  async function checkList(text, held) {
    var outer = JSON.parse(text), body = outer.list, signature = unb64(outer.signature || "");
    if (!body || !signature || !held.checker) { throw new Error("名单格式错误"); }
    var good = await held.checker.verify(signature, ascii(canonical(body)));
    if (!good || body.centre !== held.centre) { throw new Error("名单签名无效"); }
    var old = held.list;
    if (old && (body.day < old.day || (body.day === old.day && body.sequence < old.sequence))) {
      throw new Error("拒绝旧名单 #" + body.sequence + "（本机已有 #" + old.sequence + "）");
    }
    return body;
  }

  window.TGDoorVerify = { b64: b64, unb64: unb64, has: has, checker: checker, verify: verify, checkList: checkList };
})();
