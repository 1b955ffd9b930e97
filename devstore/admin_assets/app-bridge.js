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
 * - <ui-save-bar> (https://shopify.dev/docs/api/app-home/app-bridge-web-components/ui-save-bar):
 *   its child <button variant="primary"> is the Save button and the one without a variant the
 *   Discard button; show()/hide()/toggle(), `showing`, `discardConfirmation`, show/hide events.
 *   The bar is drawn by the admin, outside the iframe, as Shopify's is; while it shows, the
 *   admin's navigation is blocked. shopify.saveBar.show/hide/toggle(id) and
 *   leaveConfirmation() (resolved at once without a visible bar, else once the merchant
 *   confirms leaving in the admin's dialog; never when they stay);
 * - <ui-modal> with its <ui-title-bar title> and buttons
 *   (https://shopify.dev/docs/api/app-home/app-bridge-web-components/ui-modal): show()/hide()/
 *   toggle(), show/hide events, shopify.modal.show/hide/toggle(id). The admin draws it over
 *   everything, its content's text and the title bar's buttons (the primary one last), and a
 *   click on one presses the app's button.
 * - <ui-nav-menu> with <a> children, or <s-app-nav> with <s-link> (or <a>) children
 *   (https://shopify.dev/docs/api/app-home/app-bridge-web-components/app-nav): the app's menu,
 *   drawn by the admin in its sidebar under the app's name, not in the app's page. The link
 *   with rel="home" is the app's home: not drawn as an item, the app's name leads there. The
 *   admin reads the menu from the app's document (these elements tell it, and again whenever
 *   their links change) and marks the item of the app's current location. A click in the
 *   admin dispatches `shopify:navigate` (cancelable, bubbling) on the app's link; unless the
 *   app's router cancels it, App Bridge moves the app's frame to the link's href.
 * - <ui-title-bar> outside a modal (https://shopify.dev/docs/api/app-home/
 *   app-bridge-web-components/title-bar): its `title`, its <button>s and <a>s (variant
 *   "primary", "breadcrumb"; tone; disabled; those grouped in a <section label>), drawn by
 *   the admin in its title bar over the app; a click there presses the app's button.
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
    if (data.channel !== "devstore-app-bridge") return;
    if (data.type === "saveBarAction") {
      pressSaveBarButton(data.id, data.action);
      return;
    }
    if (data.type === "modalAction") {
      pressModalButton(data.id, data.index);
      return;
    }
    if (data.type === "navMenuAction") {
      followNavLink(data.index);
      return;
    }
    if (data.type === "titleBarAction") {
      pressTitleBarButton(data.index);
      return;
    }
    if (data.type === "modalClosed") {
      var closed = data.id && document.getElementById(data.id);
      if (closed && closed.tagName === "UI-MODAL") closed._closedByAdmin();
      return;
    }
    if (!pending[data.id]) return;
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
  // -- the contextual save bar -------------------------------------------------------------------

  var visibleBar = null;

  function saveBarButtons(bar) {
    var all = Array.prototype.slice.call(bar.querySelectorAll("button"));
    return {
      save: all.filter(function (b) { return b.getAttribute("variant") === "primary"; })[0],
      discard: all.filter(function (b) { return !b.getAttribute("variant"); })[0],
    };
  }

  function buttonState(button) {
    if (!button) return null;
    return {
      label: (button.textContent || "").trim(),
      disabled: button.disabled || button.hasAttribute("disabled"),
      loading: button.hasAttribute("loading"),
    };
  }

  function pressSaveBarButton(id, action) {
    var bar = visibleBar;
    if (!bar || (id && bar.id && bar.id !== id)) return;
    var button = saveBarButtons(bar)[action === "save" ? "save" : "discard"];
    if (button && !button.disabled) button.click();
  }

  class UISaveBar extends HTMLElement {
    constructor() {
      super();
      this._showing = false;
      this._discardConfirmation = false;
    }
    connectedCallback() {
      // Drawn by the admin, not in the app's page.
      this.style.display = "none";
      var self = this;
      this._observer = new MutationObserver(function () {
        if (self._showing) self._tell();
      });
      this._observer.observe(this, { subtree: true, childList: true, attributes: true,
        characterData: true });
    }
    disconnectedCallback() {
      if (this._observer) this._observer.disconnect();
      if (this._showing) this.hide();
    }
    get showing() { return this._showing; }
    get discardConfirmation() {
      return this._discardConfirmation || this.hasAttribute("discardConfirmation");
    }
    set discardConfirmation(value) { this._discardConfirmation = Boolean(value); }
    _tell() {
      var buttons = saveBarButtons(this);
      return ask("saveBarShow", {
        id: this.id || null,
        discardConfirmation: this.discardConfirmation,
        save: buttonState(buttons.save),
        discard: buttonState(buttons.discard),
      }).catch(function () {});
    }
    show() {
      if (visibleBar && visibleBar !== this) visibleBar.hide();
      var first = !this._showing;
      this._showing = true;
      visibleBar = this;
      if (first) this.dispatchEvent(new Event("show"));
      return this._tell().then(function () {});
    }
    hide() {
      if (!this._showing) return Promise.resolve();
      this._showing = false;
      if (visibleBar === this) visibleBar = null;
      this.dispatchEvent(new Event("hide"));
      return ask("saveBarHide", { id: this.id || null }).then(function () {}, function () {});
    }
    toggle() { return this._showing ? this.hide() : this.show(); }
  }
  if (!customElements.get("ui-save-bar")) customElements.define("ui-save-bar", UISaveBar);

  function saveBarById(id) {
    var found = document.getElementById(id);
    if (!found || found.tagName !== "UI-SAVE-BAR") {
      return Promise.reject(new Error("App Bridge: no <ui-save-bar> with id " + id));
    }
    return Promise.resolve(found);
  }

  var saveBar = {
    show: function (id) { return saveBarById(id).then(function (bar) { return bar.show(); }); },
    hide: function (id) { return saveBarById(id).then(function (bar) { return bar.hide(); }); },
    toggle: function (id) {
      return saveBarById(id).then(function (bar) { return bar.toggle(); });
    },
    leaveConfirmation: function () {
      if (!visibleBar) return Promise.resolve();
      return ask("leaveConfirmation").then(function (leave) {
        if (leave) return undefined;
        return new Promise(function () {});  // the merchant stays: nothing to resume
      });
    },
  };

  // -- modals ------------------------------------------------------------------------------------

  function modalButtons(modal) {
    var bar = modal.querySelector("ui-title-bar");
    return bar ? Array.prototype.slice.call(bar.querySelectorAll("button")) : [];
  }

  function pressModalButton(id, index) {
    var modal = id && document.getElementById(id);
    if (!modal || modal.tagName !== "UI-MODAL") return;
    var button = modalButtons(modal)[index];
    if (button && !button.disabled) button.click();
  }

  // -- the title bar ---------------------------------------------------------------------------

  // The page's title bars (outside modals), the last one connected shown by the admin.
  var titleBars = [];

  function titleBarControls(bar) {
    var found = [];
    Array.prototype.forEach.call(bar.children, function (child) {
      if (child.tagName === "BUTTON" || child.tagName === "A") {
        found.push({ node: child, group: null });
      } else if (child.tagName === "SECTION") {
        Array.prototype.forEach.call(child.children, function (inner) {
          if (inner.tagName === "BUTTON" || inner.tagName === "A") {
            found.push({ node: inner, group: child.getAttribute("label") || "" });
          }
        });
      }
    });
    return found;
  }

  function currentTitleBar() {
    return titleBars.length ? titleBars[titleBars.length - 1] : null;
  }

  function tellTitleBar() {
    var bar = currentTitleBar();
    var state = null;
    if (bar) {
      state = {
        title: bar.getAttribute("title") || document.title || "",
        controls: titleBarControls(bar).map(function (c) {
          return {
            label: (c.node.textContent || "").trim(),
            variant: c.node.getAttribute("variant") || null,
            tone: c.node.getAttribute("tone") || null,
            disabled: Boolean(c.node.disabled) || c.node.hasAttribute("disabled"),
            loading: c.node.hasAttribute("loading"),
            group: c.group,
          };
        }),
      };
    }
    ask("titleBar", state).catch(function () {});
  }

  function pressTitleBarButton(index) {
    var bar = currentTitleBar();
    var control = bar && titleBarControls(bar)[index];
    if (!control) return;
    var node = control.node;
    if (node.disabled || node.hasAttribute("disabled")) return;
    node.click();
  }

  class UITitleBar extends HTMLElement {
    connectedCallback() {
      this.style.display = "none";
      // In a modal, the bar is the modal's (drawn with it); otherwise the admin's own.
      if (this.closest("ui-modal")) return;
      titleBars.push(this);
      this._observer = new MutationObserver(function () { tellTitleBar(); });
      this._observer.observe(this, { subtree: true, childList: true, attributes: true,
        characterData: true });
      tellTitleBar();
    }
    disconnectedCallback() {
      if (this._observer) this._observer.disconnect();
      var at = titleBars.indexOf(this);
      if (at >= 0) {
        titleBars.splice(at, 1);
        tellTitleBar();
      }
    }
  }
  if (!customElements.get("ui-title-bar")) customElements.define("ui-title-bar", UITitleBar);

  // -- the navigation menu -----------------------------------------------------------------------

  var navMenus = [];

  function navLinks(menu) {
    return Array.prototype.filter.call(menu.children, function (child) {
      return child.tagName === "A" || child.tagName === "S-LINK";
    });
  }

  function currentNavMenu() {
    return navMenus.length ? navMenus[navMenus.length - 1] : null;
  }

  // Where a link leads within the app: its path and hash (the query is Shopify's, kept).
  function appPath(href) {
    var url = new URL(href || "/", window.location.href);
    return url.pathname + url.hash;
  }

  function here() {
    return window.location.pathname + window.location.hash;
  }

  function tellNavMenu() {
    var menu = currentNavMenu();
    var items = menu ? navLinks(menu).map(function (link) {
      var href = link.getAttribute("href") || "";
      return {
        label: (link.textContent || "").trim(),
        path: appPath(href),
        home: (link.getAttribute("rel") || "").split(/\s+/).indexOf("home") >= 0,
      };
    }) : [];
    ask("navMenu", { items: items, location: here() }).catch(function () {});
  }

  function followNavLink(index) {
    var menu = currentNavMenu();
    var links = menu ? navLinks(menu) : [];
    // -1: the app's name in the admin, which leads to the home link (or the app's root).
    var link = index === -1
      ? links.filter(function (l) { return (l.getAttribute("rel") || "").indexOf("home") >= 0; })[0]
      : links[index];
    var href = link ? link.getAttribute("href") || "/" : "/";
    var event = new CustomEvent("shopify:navigate", { bubbles: true, composed: true,
      cancelable: true });
    var proceed = link ? link.dispatchEvent(event) : document.dispatchEvent(event);
    if (!proceed) return;
    var target = new URL(href, window.location.href);
    // Shopify's query (shop, host, locale…) stays on the app's URL.
    if (!target.search) target.search = window.location.search;
    if (target.href !== window.location.href) window.location.assign(target.href);
  }

  function navMenuElement() {
    return class extends HTMLElement {
      connectedCallback() {
        this.style.display = "none";
        navMenus.push(this);
        this._observer = new MutationObserver(function () { tellNavMenu(); });
        this._observer.observe(this, { subtree: true, childList: true, attributes: true,
          characterData: true });
        tellNavMenu();
      }
      disconnectedCallback() {
        if (this._observer) this._observer.disconnect();
        var at = navMenus.indexOf(this);
        if (at >= 0) {
          navMenus.splice(at, 1);
          tellNavMenu();
        }
      }
    };
  }
  if (!customElements.get("ui-nav-menu")) {
    customElements.define("ui-nav-menu", navMenuElement());
  }
  if (!customElements.get("s-app-nav")) {
    customElements.define("s-app-nav", navMenuElement());
  }
  // The admin marks the item of where the app is: told on every move within the app.
  function tellLocation() {
    if (navMenus.length) ask("navLocation", { location: here() }).catch(function () {});
  }
  window.addEventListener("hashchange", tellLocation);
  window.addEventListener("popstate", tellLocation);
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name].bind(history);
    history[name] = function () {
      var result = original.apply(null, arguments);
      tellLocation();
      return result;
    };
  });

  class UIModal extends HTMLElement {
    constructor() {
      super();
      this._shown = false;
    }
    connectedCallback() { this.style.display = "none"; }
    disconnectedCallback() { if (this._shown) this.hide(); }
    _content() {
      var parts = [];
      Array.prototype.forEach.call(this.children, function (child) {
        if (child.tagName !== "UI-TITLE-BAR" && child.tagName !== "UI-SAVE-BAR") {
          parts.push((child.textContent || "").trim());
        }
      });
      return parts.filter(Boolean).join("\n");
    }
    show() {
      var bar = this.querySelector("ui-title-bar");
      var first = !this._shown;
      this._shown = true;
      if (first) this.dispatchEvent(new Event("show"));
      return ask("modalShow", {
        id: this.id || null,
        title: bar ? bar.getAttribute("title") || "" : "",
        content: this._content(),
        buttons: modalButtons(this).map(function (b) {
          return {
            label: (b.textContent || "").trim(),
            primary: b.getAttribute("variant") === "primary",
            tone: b.getAttribute("tone") || null,
            disabled: b.disabled,
          };
        }),
      }).then(function () {}, function () {});
    }
    hide() {
      if (!this._shown) return Promise.resolve();
      this._shown = false;
      this.dispatchEvent(new Event("hide"));
      return ask("modalHide", { id: this.id || null }).then(function () {}, function () {});
    }
    toggle() { return this._shown ? this.hide() : this.show(); }
    _closedByAdmin() {
      if (!this._shown) return;
      this._shown = false;
      this.dispatchEvent(new Event("hide"));
    }
  }
  if (!customElements.get("ui-modal")) customElements.define("ui-modal", UIModal);

  function modalById(id) {
    var found = document.getElementById(id);
    if (!found || found.tagName !== "UI-MODAL") {
      return Promise.reject(new Error("App Bridge: no <ui-modal> with id " + id));
    }
    return Promise.resolve(found);
  }

  var modal = {
    show: function (id) { return modalById(id).then(function (m) { return m.show(); }); },
    hide: function (id) { return modalById(id).then(function (m) { return m.hide(); }); },
    toggle: function (id) { return modalById(id).then(function (m) { return m.toggle(); }); },
  };

  var toastCount = 0;
  window.shopify = {
    config: { apiKey: apiKey, shop: shop, host: params.get("host"), locale: params.get("locale") },
    environment: { embedded: framed, mobile: false, pos: false },
    idToken: idToken,
    saveBar: saveBar,
    modal: modal,
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
