// The hall door's scans waiting to be uploaded, kept in IndexedDB (database "tenderguard-door", store "scans",
// one record per nonce, exactly as POST /door/scans takes it), so that they survive a reload, a crash or a night
// without the network. Where IndexedDB cannot be opened the scans wait in memory, and ``durable`` says so.
(function () {
  "use strict";
  var NAME = "tenderguard-door", STORE = "scans", OLD_KEY = "tg-door-queue";
  var memory = [];
  var opening = null;

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var r = indexedDB.open(NAME, 1);
        r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: "nonce" }); };
        r.onsuccess = function () { resolve(r.result); };
        r.onerror = function () { reject(r.error); };
        r.onblocked = function () { reject(new Error("IndexedDB blocked")); };
      }).then(function (db) { queue.durable = true; return db; }, function () { queue.durable = false; return null; });
    }
    return opening;
  }
  // One transaction on the store; resolves when it has committed (a scan is only "queued" once it is on disk).
  async function change(apply) {
    var db = await open();
    if (!db) { apply(null); return; }
    var tx = db.transaction(STORE, "readwrite", { durability: "strict" });
    apply(tx.objectStore(STORE));
    await new Promise(function (resolve, reject) {
      tx.oncomplete = resolve;
      tx.onerror = tx.onabort = function () { reject(tx.error || new Error("IndexedDB transaction aborted")); };
    });
  }
  function ordered(scans) {
    return scans.sort(function (a, b) {
      return a.scanned_at < b.scanned_at ? -1 : a.scanned_at > b.scanned_at ? 1 : a.nonce < b.nonce ? -1 : 1;
    });
  }

  var queue = {
    durable: null,  // true: IndexedDB; false: memory only (lost on reload); null: not opened yet
    // Queue a scan ({nonce, code, direction, scanned_at, verdict, reason}).
    add: function (scan) {
      return change(function (store) { if (store) { store.put(scan); } else { memory.push(scan); } });
    },
    // Every scan waiting, in the order they were made.
    all: async function () {
      var db = await open();
      if (!db) { return ordered(memory.slice()); }
      return ordered(await request(db.transaction(STORE, "readonly").objectStore(STORE).getAll()));
    },
    count: async function () {
      var db = await open();
      return db ? request(db.transaction(STORE, "readonly").objectStore(STORE).count()) : memory.length;
    },
    // Forget the scans the server has answered.
    remove: function (nonces) {
      return change(function (store) {
        if (store) { nonces.forEach(function (n) { store.delete(n); }); return; }
        memory = memory.filter(function (s) { return nonces.indexOf(s.nonce) < 0; });
      });
    },
    // Scans an earlier version of this page left in localStorage move into IndexedDB.
    adopt: async function () {
      var old;
      try { old = JSON.parse(localStorage.getItem(OLD_KEY) || "[]"); } catch (e) { old = []; }
      if (!Array.isArray(old) || !old.length || !(await open())) { return; }
      await change(function (store) { old.forEach(function (s) { store.put(s); }); });
      localStorage.removeItem(OLD_KEY);
    }
  };
  window.TGDoorQueue = queue;
})();
