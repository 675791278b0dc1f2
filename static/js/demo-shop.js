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
