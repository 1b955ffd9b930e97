/* devstore's stand-in for https://cdn.shopify.com/shopifycloud/app-bridge.js: the parts of
 * App Bridge Boomerang uses, talking to the simulated admin that frames the app.
 *
 * - shopify.idToken(): a fresh session token, asked of the admin frame (postMessage), which
 *   has the simulator mint one for its shop, as the real admin hands App Bridge its tokens;
 * - the global fetch: same-origin requests get `Authorization: Bearer <session token>`, and a
 *   401 carrying X-Shopify-Retry-Invalid-Session-Request is retried once with a new token;
 * - shopify.scopes.query() / request(scopes) / revoke(scopes): the Scopes API, answered by
 *   the admin (the dev store's owner accepts the permission request);
 * - shopify.toast.show(message, {duration, isError}): shown by the admin, outside the iframe;
 * - shopify.config / shopify.environment; opened outside the admin, the app is sent into it;
 * - a click on a link to `shopify://admin/…` (or `shopify:admin/…`) opens that admin page, as
 *   the Navigation API documents (shopify.dev/docs/api/app-home/apis/
 *   user-interface-and-interactions/navigation-api), links inside shadow roots included.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var adminOrigin = new URL(script.src).origin;
  var meta = document.querySelector('meta[name="shopify-api-key"]');
  var apiKey = meta ? meta.getAttribute("content") : null;
  var params = new URLSearchParams(window.location.search);
  var shop = params.get("shop");
  var framed = window.top !== window.self;

  if (!framed && shop) {
    var handle = shop.replace(/\.myshopify\.com$/, "");
    window.location.replace(
      adminOrigin + "/store/" + encodeURIComponent(handle) + "/apps/" +
      encodeURIComponent(apiKey || "app") + window.location.pathname
    );
  }

  var pending = {};
  var sequence = 0;
  window.addEventListener("message", function (event) {
    if (event.origin !== adminOrigin || event.source !== window.parent) return;
    var data = event.data || {};
    if (data.channel !== "devstore-app-bridge" || !pending[data.id]) return;
    var waiter = pending[data.id];
    delete pending[data.id];
    if (data.error) waiter.reject(new Error(data.error));
    else waiter.resolve(data.result);
  });

  function ask(type, payload) {
    if (!framed) return Promise.reject(new Error("App Bridge: the app is not inside the admin"));
    sequence += 1;
    var id = "ab-" + sequence;
    return new Promise(function (resolve, reject) {
      pending[id] = { resolve: resolve, reject: reject };
      window.parent.postMessage(
        { channel: "devstore-app-bridge", id: id, type: type, payload: payload || null },
        adminOrigin
      );
    });
  }

  function idToken() {
    return ask("idToken");
  }

  var originalFetch = window.fetch.bind(window);

  function sameOrigin(url) {
    return new URL(url, window.location.href).origin === window.location.origin;
  }

  async function authorizedFetch(input, init) {
    var request = new Request(input, init);
    if (!sameOrigin(request.url) || request.headers.has("Authorization")) {
      return originalFetch(request);
    }
    var retry = request.clone();
    var first = new Request(request, { headers: withToken(request.headers, await idToken()) });
    var response = await originalFetch(first);
    if (response.status === 401 &&
        response.headers.get("X-Shopify-Retry-Invalid-Session-Request") === "1") {
      return originalFetch(new Request(retry, { headers: withToken(retry.headers, await idToken()) }));
    }
    return response;
  }

  function withToken(headers, token) {
    var copy = new Headers(headers);
    copy.set("Authorization", "Bearer " + token);
    return copy;
  }

  window.fetch = authorizedFetch;

  var ADMIN_LINK = /^shopify:(?:\/\/)?admin\/(.*)$/;
  document.addEventListener("click", function (event) {
    var path = event.composedPath ? event.composedPath() : [event.target];
    for (var i = 0; i < path.length; i += 1) {
      var node = path[i];
      var href = node && node.getAttribute && node.tagName === "A" ? node.getAttribute("href") : null;
      var match = href ? ADMIN_LINK.exec(href) : null;
      if (match) {
        event.preventDefault();
        ask("navigate", { path: match[1] }).catch(function () {});
        return;
      }
    }
  }, true);

  var toastCount = 0;
  window.shopify = {
    config: { apiKey: apiKey, shop: shop, host: params.get("host"), locale: params.get("locale") },
    environment: { embedded: framed, mobile: false, pos: false },
    idToken: idToken,
    // The Scopes API: query the granted scopes, request optional ones (the admin's permission
    // modal, accepted by the dev store's owner), revoke them.
    scopes: {
      query: function () { return ask("scopes", { action: "query" }); },
      request: function (scopes) { return ask("scopes", { action: "request", scopes: scopes }); },
      revoke: function (scopes) { return ask("scopes", { action: "revoke", scopes: scopes }); },
    },
    toast: {
      show: function (message, options) {
        toastCount += 1;
        var id = "toast-" + toastCount;
        ask("toast", {
          id: id,
          message: String(message),
          duration: (options && options.duration) || 5000,
          isError: Boolean(options && options.isError),
        }).catch(function () {});
        return id;
      },
      hide: function (id) {
        ask("toastHide", { id: id }).catch(function () {});
      },
    },
  };
})();
