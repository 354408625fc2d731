// Optional enhancements; the page works without them.
// - drag and drop a file onto the upload zone;
// - scan a QR code with the camera where the browser offers BarcodeDetector.
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
  var camera = document.getElementById("camera");
  if (!camera || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  camera.hidden = false;
  var start = document.getElementById("camera-start");
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  var text = document.getElementById("credential");
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      status.textContent = camera.getAttribute("data-scanning");
      return video.play().then(function () {
        var tick = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length > 0) {
              stream.getTracks().forEach(function (track) { track.stop(); });
              text.value = codes[0].rawValue;
              form.submit();
            } else {
              window.setTimeout(tick, 250);
            }
          }, function () { window.setTimeout(tick, 500); });
        };
        tick();
      });
    }).catch(function () {
      status.textContent = camera.getAttribute("data-error");
    });
  });
})();
