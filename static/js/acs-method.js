// 3DS Method: read the browser's device data, send them to the ACS, then post threeDSMethodData back
// to the shop's notification URL. The post back happens whatever collecting does (an exception, a slow
// or failed send), and at the latest after 5 s: the shop waits at most 10 s.
(function () {
  var form = document.getElementById("method-return");
  if (!form) return;
  var done = false;
  function finish() {
    if (done) return;
    done = true;
    form.submit();
  }
  window.setTimeout(finish, 5000);
  try {
    var s = window.screen || {};
    var tz = "";
    try {
      tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {}
    var device = {
      timeZone: tz,
      tzOffset: new Date().getTimezoneOffset(),
      languages: (navigator.languages || [navigator.language || ""]).filter(Boolean).slice(0, 10),
      screenWidth: s.width || 0,
      screenHeight: s.height || 0,
      colorDepth: s.colorDepth || 0,
      pixelRatio: Math.round((window.devicePixelRatio || 0) * 100) / 100,
      platform: String(navigator.platform || "").slice(0, 64),
      hardwareConcurrency: navigator.hardwareConcurrency || 0,
      touchPoints: navigator.maxTouchPoints || 0,
      cookiesEnabled: !!navigator.cookieEnabled
    };
    var body = JSON.stringify({ threeDSServerTransID: form.getAttribute("data-method-trans-id"), device: device });
    var controller = window.AbortController ? new AbortController() : null;
    if (controller) window.setTimeout(function () { controller.abort(); }, 3000);
    fetch(form.getAttribute("data-method-collect"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body,
      credentials: "omit",
      signal: controller ? controller.signal : undefined
    }).then(finish, finish);
  } catch (e) {
    finish();
  }
})();
