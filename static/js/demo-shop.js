// Demo shop: what a shop's page script does around 3-D Secure.
(function () {
  function set(id, value) {
    var el = document.getElementById(id);
    if (el) el.value = String(value);
  }
  // Checkout: the browser data the 3DS Server puts into the AReq.
  if (document.getElementById("checkout")) {
    set("js-enabled", "true");
    set("screen-width", window.screen.width);
    set("screen-height", window.screen.height);
    set("color-depth", window.screen.colorDepth);
    set("tz", new Date().getTimezoneOffset());
    set("language", navigator.language || "");
  }
  // 3DS Method: post threeDSMethodData into the hidden iframe, then go on with the purchase once the
  // card issuer's page has posted back to the shop (the notification page says so) or after 10 s.
  var method = document.querySelector("form[data-method]");
  var proceed = document.querySelector("form[data-method-continue]");
  if (method && proceed) {
    var sent = false;
    var go = function () {
      if (sent) return;
      sent = true;
      proceed.submit();
    };
    window.addEventListener("message", function (e) {
      if (e.origin === window.location.origin && e.data === "threeDSMethodComplete") go();
    });
    window.setTimeout(go, 10000);
    method.submit();
  }
  // Method notification (inside the hidden iframe): tell the shop's page.
  if (document.body && document.body.hasAttribute("data-method-done") && window.parent !== window) {
    window.parent.postMessage("threeDSMethodComplete", window.location.origin);
  }
  // Challenge: post the creq into the iframe.
  var creq = document.querySelector("form[data-creq]");
  if (creq) creq.submit();
  // Notification (inside the iframe): take the whole window to the result.
  var link = document.querySelector("a[data-top-url]");
  if (link) {
    var target = link.getAttribute("data-top-url");
    if (window.top && window.top !== window) {
      window.top.location.href = target;
    } else {
      window.location.href = target;
    }
  }
})();
