// Optional enhancements; the page works without them.
// - Drag and drop a file onto the upload zone.
// - Scan a QR code with the camera, where the browser can open one (getUserMedia). Codes are
//   read by the browser's BarcodeDetector when it has one that knows QR codes; otherwise a frame
//   (at most 960 pixels on its long side) is sent about every 400 ms to this verifier's
//   POST /api/v1/scan, which only decodes it and keeps nothing. Frames go nowhere else. When a
//   code holding a credential or a link is found, the camera stops and its text is submitted
//   through the form, exactly as if it had been pasted, so the result page is the same.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  if (!form) { return; }
  var drop = document.getElementById("drop-zone");
  var file = document.getElementById("file");
  if (drop && file && window.DataTransfer) {
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length > 0) {
        file.files = event.dataTransfer.files;
        form.submit();
      }
    });
  }
  cameraScanner(form, file);

  function cameraScanner(form, file) {
    var FRAME_INTERVAL_MS = 400;
    var MAX_FRAME_SIDE = 960;
    var LOOKING_AFTER_MS = 2500;
    var SCAN_URL = "/api/v1/scan";
    var camera = document.getElementById("camera");
    var media = navigator.mediaDevices;
    if (!camera || !media || typeof media.getUserMedia !== "function" || !window.fetch ||
        !window.Promise || !window.HTMLCanvasElement || !HTMLCanvasElement.prototype.toBlob) {
      return;
    }
    var start = document.getElementById("camera-start");
    var stop = document.getElementById("camera-stop");
    var panel = document.getElementById("camera-panel");
    var video = document.getElementById("camera-video");
    var status = document.getElementById("camera-status");
    var text = document.getElementById("credential");
    if (!start || !stop || !panel || !video || !status || !text) { return; }
    var canvas = document.createElement("canvas");
    // The scan in progress, or null.
    var session = null;
    camera.hidden = false;

    // Shows one of the translated messages the page carries as data- attributes; the live
    // region is only touched when the message changes, so a screen reader hears it once.
    function say(key) {
      var message = camera.getAttribute("data-" + key) || "";
      if (status.getAttribute("data-state") !== key) {
        status.setAttribute("data-state", key);
        status.textContent = message;
      }
    }

    function stopTracks(stream) {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    }

    // Ends the scan `s` (if still current): camera off, preview hidden, message shown.
    function finish(s, key, refocus) {
      if (!s || s !== session) { return; }
      session = null;
      s.active = false;
      window.clearTimeout(s.timer);
      stopTracks(s.stream);
      video.srcObject = null;
      panel.hidden = true;
      start.hidden = false;
      say(key);
      if (refocus) { start.focus(); }
    }

    function errorKey(error) {
      var name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
        return "denied";
      }
      if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
        return "none";
      }
      if (name === "NotReadableError" || name === "TrackStartError") { return "busy"; }
      return "error";
    }

    start.addEventListener("click", function () {
      if (session) { return; }
      var s = { active: true, stream: null, timer: 0, started: 0, detector: null };
      session = s;
      say("starting");
      media.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }
      }).then(function (stream) {
        if (!s.active) { stopTracks(stream); return null; }
        s.stream = stream;
        stream.getVideoTracks().forEach(function (track) {
          track.addEventListener("ended", function () { finish(s, "error", true); });
        });
        video.srcObject = stream;
        panel.hidden = false;
        stop.focus();
        start.hidden = true;
        return video.play();
      }).then(function () {
        return s.active ? chooseReader(s) : null;
      }).then(function () {
        if (!s.active) { return; }
        s.started = Date.now();
        say("scanning");
        look(s);
      }).catch(function (error) {
        finish(s, errorKey(error), true);
      });
    });

    stop.addEventListener("click", function () { finish(session, "stopped", true); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { finish(session, "stopped", true); }
    });
    window.addEventListener("pagehide", function () { finish(session, "stopped", false); });

    // The browser's own QR reader when it has one; else frames go to this server.
    function chooseReader(s) {
      if (!("BarcodeDetector" in window)) { return Promise.resolve(); }
      return Promise.resolve().then(function () {
        return window.BarcodeDetector.getSupportedFormats();
      }).then(function (formats) {
        if (formats && formats.indexOf("qr_code") >= 0) {
          s.detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        }
      }).catch(function () { s.detector = null; });
    }

    function look(s) {
      if (!s.active) { return; }
      var began = Date.now();
      var again = function () {
        if (s.active) {
          s.timer = window.setTimeout(function () { look(s); },
            Math.max(0, FRAME_INTERVAL_MS - (Date.now() - began)));
        }
      };
      if (video.readyState < 2 || !video.videoWidth || !video.videoHeight) { again(); return; }
      var reading = s.detector ? readWithDetector(s) : readOnServer();
      reading.then(function (codes) {
        if (s.active) { found(s, codes); }
        again();
      }, function () {
        if (s.active) { say("offline"); }
        again();
      });
    }

    function readWithDetector(s) {
      return s.detector.detect(video).then(function (codes) {
        return codes.map(function (code) { return { text: code.rawValue, kind: kindOf(code.rawValue) }; });
      }, function () {
        // The browser's reader failed: this server reads the frames from now on.
        s.detector = null;
        return readOnServer();
      });
    }

    // What the server's scan answers as `kind`, for codes the browser read itself.
    function kindOf(value) {
      var trimmed = String(value || "").trim();
      if (/^https?:\/\//i.test(trimmed)) { return "link"; }
      if (/^VC[12]:/.test(trimmed) || /^\{/.test(trimmed) || /^[\w-]+\.[\w-]*\.[\w-]+$/.test(trimmed)) {
        return "document";
      }
      return "unusable";
    }

    function readOnServer() {
      var scale = Math.min(1, MAX_FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
      canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) { resolve(blob); } else { reject(new Error("no frame")); }
        }, "image/jpeg", 0.9);
      }).then(function (blob) {
        return window.fetch(SCAN_URL, {
          method: "POST",
          body: blob,
          headers: { "Content-Type": "image/jpeg" },
          credentials: "same-origin",
          cache: "no-store",
          referrerPolicy: "no-referrer"
        });
      }).then(function (response) {
        if (!response.ok) { throw new Error("the scan answered " + response.status); }
        return response.json();
      }).then(function (answer) {
        return (answer && answer.codes) || [];
      });
    }

    // A code with a credential or a link ends the scan and submits its text; anything else
    // keeps looking.
    function found(s, codes) {
      for (var i = 0; i < codes.length; i += 1) {
        if (codes[i].kind === "document" || codes[i].kind === "link") {
          finish(s, "found", false);
          if (file) { file.value = ""; }
          text.value = codes[i].text;
          form.submit();
          return;
        }
      }
      if (codes.length > 0) {
        say("unusable");
      } else {
        say(Date.now() - s.started >= LOOKING_AFTER_MS ? "looking" : "scanning");
      }
    }
  }
})();
