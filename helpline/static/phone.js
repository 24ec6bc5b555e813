// The phone in the browser: drives a simulated call through /phone/api, one step at a time.
"use strict";

(function () {
  const root = document.getElementById("phone");
  if (!root) return;
  const texts = JSON.parse(root.dataset.texts);
  const $ = (id) => document.getElementById(id);
  const keypadButtons = Array.from(document.querySelectorAll("#keypad button"));
  let call = null;        // the last state from the server
  let shown = 0;          // events already in the log
  let typed = "";         // keys pressed for a multi-digit <Gather>
  let busy = false;
  let listening = null;   // the number this page is the phone of, while it listens
  let polling = false;

  function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }

  async function api(url, options) {
    busy = true;
    render();
    try {
      const response = await fetch(url, Object.assign({
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "Accept": "application/json" },
      }, options || {}));
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        status(texts.error.replace("{error}", data.error || response.status));
        return null;
      }
      call = data;
      return data;
    } catch (error) {
      status(texts.error.replace("{error}", error.message));
      return null;
    } finally {
      busy = false;
      render();
    }
  }

  function json(body) {
    return { method: "POST", body: JSON.stringify(body),
             headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json", "Accept": "application/json" } };
  }

  function send(action, value) {
    if (!call) return;
    typed = "";
    return api(root.dataset.api + "/" + call.id + "/input", json({ action: action, value: value || "" }));
  }

  function sendMessage(form) {
    if (!call) return;
    return api(root.dataset.api + "/" + call.id + "/message", {
      method: "POST", body: form,
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" },
    });
  }

  function status(text) { $("phone-state").textContent = text; }

  function speak(text) {
    if (!$("phone-speak").checked || !("speechSynthesis" in window)) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "ru-RU";
    const voice = window.speechSynthesis.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith("ru"));
    if (voice) utterance.voice = voice;
    window.speechSynthesis.speak(utterance);
  }

  function render() {
    const waiting = call && !call.ended ? call.waiting : null;
    const kind = waiting ? waiting.kind : null;
    keypadButtons.forEach((b) => { b.disabled = busy || kind !== "gather" || !waiting.keys; });
    $("phone-silence").disabled = busy || kind !== "gather";
    $("phone-call").disabled = busy || (call && !call.ended) || !!listening;
    $("phone-hangup").disabled = busy || !call || call.ended;
    $("speech-form").classList.toggle("hidden", kind !== "gather" || !waiting.speech);
    $("record-panel").classList.toggle("hidden", kind !== "record");
    $("dial-panel").classList.toggle("hidden", kind !== "dial");
    $("ring-panel").classList.toggle("hidden", kind !== "ring");
    $("talk-panel").classList.toggle("hidden", kind !== "talk");
    $("listen-start").classList.toggle("hidden", !!listening);
    $("listen-stop").classList.toggle("hidden", !listening);
    $("listen-number").disabled = !!listening;
    $("ring-answer").disabled = $("ring-decline").disabled = busy || kind !== "ring";
    $("talk-end").disabled = busy || kind !== "talk";
    if (kind === "ring") $("ring-from").textContent = texts.ring.replace("{from}", waiting.from);
    if (kind === "talk") {
      $("talk-with").textContent = texts.talk.replace("{with}", waiting.with);
      $("talk-end").classList.toggle("hidden", !waiting.end);
    }
    if (kind === "dial") {
      const outbound = waiting.title && waiting.title !== texts.dialTitle;
      $("dial-title").textContent = waiting.title || texts.dialTitle;
      document.querySelectorAll("[data-dial]").forEach((b) => {
        b.textContent = outbound ? b.dataset.labelCaller : b.dataset.label;
      });
    }
    $("typed").textContent = typed;
    if (!call) {
      if (listening) status(texts.listening.replace("{number}", listening));
      return;
    }
    const log = $("phone-log");
    for (; shown < call.events.length; shown++) {
      const event = call.events[shown];
      const item = document.createElement("li");
      item.className = event.who;
      item.textContent = (event.who === "you" ? texts.you + ": " : "") + event.text;
      log.appendChild(item);
      if (event.speak) speak(event.text);
    }
    log.scrollTop = log.scrollHeight;
    if (busy) status(texts.busy);
    else if (call.ended && listening) status(texts.ended + " " + texts.listening.replace("{number}", listening));
    else if (call.ended) status(texts.ended);
    else if (kind === "ring") status(texts.ring.replace("{from}", waiting.from));
    else if (kind === "talk") status(texts.talk.replace("{with}", waiting.with));
    else if (kind === "calling") status(texts.calling.replace("{numbers}", waiting.numbers.join(", ")));
    else if (kind === "gather") status(texts.waiting.replace("{what}", waiting.speech ? texts.speech : texts.keys));
    else if (kind) status(texts.waiting.replace("{what}", texts[kind]));
    showResult();
  }

  function showResult() {
    const box = $("phone-result");
    const ticket = call && call.ticket;
    const about = call && call.callback;
    box.classList.toggle("hidden", !ticket && !about);
    box.textContent = "";
    if (about) {
      const link = document.createElement("a");
      link.href = about.url;
      link.textContent = about.text;
      link.target = "_blank";
      box.appendChild(link);
    }
    if (!ticket) return;
    const line = document.createElement("p");
    line.textContent = ticket.text + (ticket.callback ? " " + ticket.callback : "");
    box.appendChild(line);
    if (ticket.url) {
      const link = document.createElement("a");
      link.href = ticket.url;
      link.textContent = texts.open;
      box.appendChild(link);
    }
  }

  // --- being a phone: poll for the line's calls, and follow a call the line drives
  async function quiet(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null;
    }
  }

  function fresh(next) {
    if (!call || next.id !== call.id) { $("phone-log").textContent = ""; shown = 0; typed = ""; }
    call = next;
    render();
  }

  async function tick() {
    if (polling || busy) return;
    polling = true;
    try {
      if (call && !call.ended) {
        const next = await quiet(root.dataset.api + "/" + call.id);
        if (next && !busy) fresh(next);
      } else if (listening) {
        const data = await quiet(root.dataset.listen + "?number=" + encodeURIComponent(listening));
        if (data && data.call && !busy) fresh(data.call);
      }
    } finally {
      polling = false;
    }
  }
  setInterval(tick, 700);

  $("listen-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("listen-number").value.trim();
    const data = await quiet(root.dataset.listen + "?number=" + encodeURIComponent(number));
    if (!data) { status(texts.error.replace("{error}", number)); return; }
    listening = data.number;
    $("listen-number").value = data.number;
    if (data.call) fresh(data.call); else render();
  });

  $("listen-stop").addEventListener("click", async () => {
    const number = listening;
    listening = null;
    await fetch(root.dataset.listenStop, Object.assign({ credentials: "same-origin" },
                                                      json({ number: number }))).catch(() => null);
    render();
  });

  $("ring-answer").addEventListener("click", () => send("answer"));
  $("ring-decline").addEventListener("click", () => send("decline"));
  $("talk-end").addEventListener("click", () => send("end"));

  $("dial-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("phone-log").textContent = "";
    shown = 0; typed = ""; call = null;
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    await api(root.dataset.api, json({ to: $("phone-to").value, from: $("phone-from").value }));
  });

  $("phone-hangup").addEventListener("click", () => send("hangup"));
  $("phone-silence").addEventListener("click", () => send(typed ? "keys" : "silence", typed));

  keypadButtons.forEach((button) => button.addEventListener("click", () => {
    const waiting = call && call.waiting;
    if (!waiting || waiting.kind !== "gather") return;
    const key = button.dataset.key;
    if (waiting.finish_on_key && waiting.finish_on_key.includes(key)) {
      send("keys", typed + key);
      return;
    }
    typed += key;
    if (!waiting.num_digits || typed.length >= waiting.num_digits) send("keys", typed);
    else render();
  }));

  $("speech-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("speech-text").value.trim();
    if (text) { $("speech-text").value = ""; send("speech", text); }
  });

  document.querySelectorAll("[data-dial]").forEach((button) =>
    button.addEventListener("click", () => send("dial", button.dataset.dial)));

  $("say-nothing").addEventListener("click", () => {
    const form = new FormData();
    form.append("nothing", "1");
    sendMessage(form);
  });

  $("file-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const file = $("wav-file").files[0];
    if (!file) { status(texts.wavEmpty); return; }
    const form = new FormData();
    form.append("audio", file, file.name);
    $("wav-file").value = "";
    sendMessage(form);
  });

  // --- the microphone: 16 kHz mono 16-bit WAV built with the Web Audio API
  const RATE = 16000;
  let recorder = null;

  $("mic-start").addEventListener("click", async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status(texts.noMic); return; }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    } catch (error) {
      status(texts.noMic);
      return;
    }
    const context = new AudioContext();
    const source = context.createMediaStreamSource(stream);
    const processor = context.createScriptProcessor(4096, 1, 1);
    const silent = context.createGain();
    silent.gain.value = 0;
    const chunks = [];
    const started = Date.now();
    processor.onaudioprocess = (event) => {
      chunks.push(new Float32Array(event.inputBuffer.getChannelData(0)));
      status(texts.recording.replace("{seconds}", Math.round((Date.now() - started) / 1000)));
    };
    source.connect(processor);
    processor.connect(silent);
    silent.connect(context.destination);
    recorder = { stream, context, processor, source, chunks };
    $("mic-start").classList.add("hidden");
    $("mic-stop").classList.remove("hidden");
  });

  $("mic-stop").addEventListener("click", async () => {
    if (!recorder) return;
    const { stream, context, processor, source, chunks } = recorder;
    recorder = null;
    processor.disconnect(); source.disconnect();
    stream.getTracks().forEach((track) => track.stop());
    const wav = encodeWav(chunks, context.sampleRate, RATE);
    await context.close();
    $("mic-stop").classList.add("hidden");
    $("mic-start").classList.remove("hidden");
    const form = new FormData();
    form.append("audio", new Blob([wav], { type: "audio/wav" }), "message.wav");
    sendMessage(form);
  });

  function encodeWav(chunks, fromRate, toRate) {
    const length = chunks.reduce((sum, c) => sum + c.length, 0);
    const input = new Float32Array(length);
    let offset = 0;
    chunks.forEach((c) => { input.set(c, offset); offset += c.length; });
    const ratio = fromRate / toRate;
    const count = Math.floor(length / ratio);
    const buffer = new ArrayBuffer(44 + count * 2);
    const view = new DataView(buffer);
    const ascii = (at, text) => { for (let i = 0; i < text.length; i++) view.setUint8(at + i, text.charCodeAt(i)); };
    ascii(0, "RIFF"); view.setUint32(4, 36 + count * 2, true); ascii(8, "WAVE");
    ascii(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, toRate, true); view.setUint32(28, toRate * 2, true);
    view.setUint16(32, 2, true); view.setUint16(34, 16, true);
    ascii(36, "data"); view.setUint32(40, count * 2, true);
    for (let i = 0; i < count; i++) {
      // Average the source samples that fall into this output sample (a simple low-pass).
      const start = Math.floor(i * ratio), end = Math.max(Math.floor((i + 1) * ratio), start + 1);
      let sum = 0;
      for (let j = start; j < end && j < length; j++) sum += input[j];
      const sample = Math.max(-1, Math.min(1, sum / (end - start)));
      view.setInt16(44 + i * 2, sample < 0 ? sample * 0x8000 : sample * 0x7fff, true);
    }
    return buffer;
  }

  render();
})();
