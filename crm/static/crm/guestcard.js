// The guest card and the new-guest form: behaviours that would otherwise be inline handlers (the
// Content-Security-Policy refuses those). Loaded by base.html beside rapport.js.
(function () {
  "use strict";

  // Choosing "Allergy" as a preference's category selects "Must avoid": an allergy is never a liking
  // (the server refuses "Allergy · Likes" whatever this does).
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches || !select.matches("select[name=category]")) return;
    const polarity = select.form && select.form.querySelector("select[name=polarity]");
    if (polarity && select.value === "allergy") polarity.value = "avoid";
  });

  // The guest's recording of their name: MediaRecorder fills the form's file input, and Save uploads it with
  // the form as a chosen file would be (the server checks the size and what the bytes are). Without a
  // microphone or MediaRecorder the buttons stay hidden and the file input remains.
  const MAX_SECONDS = 10; // a name said a few times; keeps the upload far below the 1 MB limit
  const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
  const EXTENSIONS = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a" };

  function setUpRecorder(form) {
    const record = form.querySelector("[data-record]");
    const stop = form.querySelector("[data-stop]");
    const status = form.querySelector("[data-recorder-status]");
    const input = form.querySelector("input[type=file]");
    if (!record || !stop || !input || !window.MediaRecorder || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia || typeof DataTransfer === "undefined") return;
    record.hidden = false;
    stop.hidden = false;
    let recorder = null;
    let timer = null;

    record.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        const type = TYPES.find(function (t) { return MediaRecorder.isTypeSupported(t); }) || "";
        const chunks = [];
        recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
        recorder.addEventListener("dataavailable", function (event) {
          if (event.data && event.data.size) chunks.push(event.data);
        });
        recorder.addEventListener("stop", function () {
          clearTimeout(timer);
          stream.getTracks().forEach(function (track) { track.stop(); });
          const mime = (recorder.mimeType || type || "audio/webm").split(";")[0];
          const file = new File([new Blob(chunks, { type: mime })], "name." + (EXTENSIONS[mime] || "webm"), { type: mime });
          const files = new DataTransfer();
          files.items.add(file);
          input.files = files.files;
          status.textContent = status.dataset.recorded;
          record.disabled = false;
          stop.disabled = true;
          form.dataset.recorded = "true";
        });
        recorder.start();
        timer = setTimeout(function () { if (recorder.state !== "inactive") recorder.stop(); }, MAX_SECONDS * 1000);
        status.textContent = status.dataset.recording;
        record.disabled = true;
        stop.disabled = false;
      }).catch(function () {
        status.textContent = status.dataset.noMicrophone;
      });
    });
    stop.addEventListener("click", function () {
      if (recorder && recorder.state !== "inactive") recorder.stop();
    });
  }

  document.querySelectorAll("form[data-recorder]").forEach(setUpRecorder);
})();
