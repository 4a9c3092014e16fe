/*! Dojang embed snippet: opens Dojang's hosted screens in an iframe or a popup and delivers
 * their events. Events are accepted only from Dojang's origin and from the window this
 * snippet opened, and only in Dojang's envelope {source: "dojang", version: 1, type, data}.
 *
 *   <script src="https://dojang.example.com/embed.js"></script>
 *   const screen = Dojang.open({
 *     url: "https://dojang.example.com/contract/upload?token=" + clientToken,  // or a signing link
 *     mode: "iframe",              // or "popup"
 *     container: document.getElementById("dojang"),   // iframe mode
 *     returnUrl: "https://app.example.com/contracts",  // optional: where to go when done
 *     onEvent(e) { if (e.type === "contract.saved") console.log(e.data.contractId); },
 *   });
 *   screen.close();
 */
(function (global) {
  "use strict";

  function open(options) {
    if (!options || !options.url) throw new Error("Dojang.open: url is required");
    var mode = options.mode === "popup" ? "popup" : "iframe";
    var url = new URL(options.url, global.location.href);
    var dojangOrigin = url.origin;
    url.searchParams.set("origin", global.location.origin);
    url.searchParams.set("embed", "1");
    if (options.returnUrl) url.searchParams.set("returnUrl", options.returnUrl);
    var target = null;
    var frame = null;

    function onMessage(event) {
      if (event.origin !== dojangOrigin) return;
      if (!target || event.source !== target) return;
      var m = event.data;
      if (!m || m.source !== "dojang" || m.version !== 1 || typeof m.type !== "string") return;
      if (typeof options.onEvent === "function") options.onEvent({ type: m.type, data: m.data || {} });
      if (m.type === "contract.closed" && mode === "iframe" && options.removeOnClose !== false) close();
    }

    function close() {
      global.removeEventListener("message", onMessage);
      if (frame && frame.parentNode) frame.parentNode.removeChild(frame);
      if (mode === "popup" && target && !target.closed) target.close();
      target = null;
    }

    global.addEventListener("message", onMessage);
    if (mode === "iframe") {
      var container = options.container || document.body;
      frame = document.createElement("iframe");
      frame.src = url.toString();
      frame.title = options.title || "Dojang";
      frame.setAttribute("allow", "clipboard-write");
      frame.style.width = options.width || "100%";
      frame.style.height = options.height || "720px";
      frame.style.border = "0";
      container.appendChild(frame);
      target = frame.contentWindow;
    } else {
      target = global.open(url.toString(), "dojang", options.features || "popup,width=1100,height=800");
      if (!target) throw new Error("Dojang.open: the popup was blocked; call open() from a click");
    }
    return { close: close, window: function () { return target; }, frame: frame };
  }

  global.Dojang = { open: open, version: 1 };
})(window);
