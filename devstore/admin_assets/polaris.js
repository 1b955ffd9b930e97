/* devstore's stand-in for https://cdn.shopify.com/shopifycloud/polaris-1.js: minimal Polaris
 * web components (the ones Boomerang's admin UI uses) that render their content and slots
 * accessibly, so the UI can run, and be tested in a browser, offline.
 *
 * Properties are set by the app (React sets properties on custom elements) or by attributes;
 * fields fire `input` and `change` on the element itself with `value` (or `checked`,
 * `values`) already updated, as the real components do.
 */
(function () {
  "use strict";

  var sheet = new CSSStyleSheet();
  sheet.replaceSync([
    ":host { box-sizing: border-box; font: 14px/1.45 system-ui, sans-serif; color: #303030; }",
    ":host([hidden]) { display: none !important; }",
    // A field is never wider than its container (a long option, a long value).
    ":host(s-select), :host(s-text-field), :host(s-number-field), :host(s-date-field) { max-width: 100%; min-width: 0; }",
    ":host(s-select) { display: inline-block; }",
    ".page { max-width: 1000px; margin: 0 auto; padding: 16px; }",
    ".page > header { display: flex; align-items: center; gap: 12px; margin-bottom: 16px; }",
    ".page > header h1 { font-size: 20px; margin: 0; flex: 1; }",
    ".page .body { display: flex; gap: 16px; } .page .main { flex: 1; min-width: 0; }",
    ".page .main { display: flex; flex-direction: column; gap: 16px; }",
    ".section { background: #fff; border-radius: 12px; padding: 16px;",
    "  box-shadow: 0 1px 2px rgba(0,0,0,.15); display: flex; flex-direction: column; gap: 12px; }",
    "h2 { font-size: 16px; margin: 0; } h3 { font-size: 14px; margin: 0; }",
    "p { margin: 0; }",
    "button { font: inherit; border-radius: 8px; padding: 6px 12px; cursor: pointer;",
    "  border: 1px solid #8a8a8a; background: #fff; }",
    "button.primary { background: #303030; color: #fff; border-color: #303030; }",
    "button.critical { color: #8e1f0b; border-color: #e51c00; }",
    "button.primary.critical { background: #c70a24; color: #fff; }",
    "button.tertiary { border-color: transparent; background: transparent; }",
    "button:disabled { opacity: .5; cursor: default; }",
    ".field { display: flex; flex-direction: column; gap: 4px; }",
    ".field input, .field textarea, .field select { font: inherit; padding: 6px 8px; min-width: 0; max-width: 100%;",
    "  border: 1px solid #8a8a8a; border-radius: 8px; }",
    ".field textarea { font-family: ui-monospace, monospace; font-size: 12px; }",
    ".field .row { display: flex; align-items: center; gap: 6px; }",
    ".details { color: #616161; font-size: 13px; }",
    ".error { color: #8e1f0b; font-size: 13px; }",
    ".error:empty, .details:empty { display: none; }",
    ".visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;",
    "  clip: rect(0 0 0 0); white-space: nowrap; }",
    ".badge { display: inline-block; border-radius: 8px; padding: 0 8px; background: #e3e3e3;",
    "  font-size: 12px; }",
    ".tone-success { background: #cdfee1; } .tone-critical { background: #fedad9; }",
    ".tone-warning { background: #ffe600; } .tone-info { background: #e0f0ff; }",
    ".banner { border-radius: 12px; padding: 12px; background: #e0f0ff;",
    "  display: flex; flex-direction: column; gap: 6px; }",
    ".banner.tone-critical { background: #fedad9; } .banner.tone-success { background: #cdfee1; }",
    ".banner.tone-warning { background: #fff1b8; }",
    "fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 8px; }",
    "legend { padding: 0; margin-bottom: 4px; }",
    "label.choice { display: flex; gap: 8px; align-items: flex-start; }",
    "a { color: #005bd3; cursor: pointer; }",
    ".spinner { display: inline-block; width: 16px; height: 16px; border-radius: 50%;",
    "  border: 2px solid #ccc; border-top-color: #303030; animation: spin 1s linear infinite; }",
    "@keyframes spin { to { transform: rotate(360deg); } }",
    "hr { border: 0; border-top: 1px solid #e3e3e3; margin: 0; width: 100%; }",
  ].join("\n"));

  function camel(attr) {
    return attr.replace(/-([a-z])/g, function (_, c) { return c.toUpperCase(); });
  }
  function kebab(prop) {
    return prop.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }
  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  class PolarisElement extends HTMLElement {
    static get observedAttributes() {
      return Object.keys(this.props || {}).map(kebab);
    }
    constructor() {
      super();
      this._v = {};
      this._built = false;
      this.attachShadow({ mode: "open" }).adoptedStyleSheets = [sheet];
    }
    connectedCallback() {
      if (!this._built) {
        this._built = true;
        this.build(this.shadowRoot);
      }
      this.update();
    }
    attributeChangedCallback(attr, _old, value) {
      var name = camel(attr);
      var type = this.constructor.props[name];
      this._v[name] = type === "boolean" ? value !== null && value !== "false" : value;
      if (this._built) this.update();
    }
    build() {}
    update() {}
    emit(type) {
      this.dispatchEvent(new Event(type, { bubbles: true, composed: true }));
    }
  }

  function define(tag, cls) {
    Object.keys(cls.props || {}).forEach(function (name) {
      var type = cls.props[name];
      Object.defineProperty(cls.prototype, name, {
        configurable: true,
        get: function () {
          var v = this._v[name];
          if (v === undefined) return type === "boolean" ? false : type === "array" ? [] : "";
          return v;
        },
        set: function (value) {
          this._v[name] = value;
          if (this._built) this.update();
        },
      });
    });
    customElements.define(tag, cls);
  }

  // -- structure ------------------------------------------------------------------------------

  class Page extends PolarisElement {
    static props = { heading: "string", inlineSize: "string" };
    build(root) {
      this._h = el("h1");
      root.append(el("div", { class: "page" }, [
        el("header", {}, [
          el("slot", { name: "breadcrumb-actions" }),
          this._h,
          el("slot", { name: "secondary-actions" }),
          el("slot", { name: "primary-action" }),
        ]),
        el("div", { class: "body" }, [
          el("div", { class: "main" }, [el("slot")]),
          el("aside", {}, [el("slot", { name: "aside" })]),
        ]),
      ]));
    }
    update() {
      this._h.textContent = text(this.heading);
      this._h.hidden = !this.heading;
    }
  }
  define("s-page", Page);

  class Section extends PolarisElement {
    static props = { heading: "string", padding: "string", accessibilityLabel: "string" };
    build(root) {
      this._h = el("h2");
      this._s = el("div", { class: "section" }, [this._h, el("slot")]);
      root.append(this._s);
    }
    update() {
      this._h.textContent = text(this.heading);
      this._h.hidden = !this.heading;
      // The landmark is the element itself, so what it holds (slotted) is inside it.
      var label = this.accessibilityLabel || this.heading;
      if (label) {
        this.setAttribute("role", "region");
        this.setAttribute("aria-label", label);
      } else {
        this.removeAttribute("role");
        this.removeAttribute("aria-label");
      }
    }
  }
  define("s-section", Section);

  class Box extends PolarisElement {
    static props = { padding: "string", background: "string", border: "string",
      borderRadius: "string", inlineSize: "string" };
    build(root) {
      this._d = el("div", {}, [el("slot")]);
      root.append(this._d);
    }
    update() {
      this._d.style.padding = this.padding ? "12px" : "";
      this._d.style.background = this.background ? "#f7f7f7" : "";
      this._d.style.border = this.border ? "1px solid #e3e3e3" : "";
      this._d.style.borderRadius = this.borderRadius ? "8px" : "";
    }
  }
  define("s-box", Box);

  class Stack extends PolarisElement {
    static props = { direction: "string", gap: "string", alignItems: "string",
      justifyContent: "string" };
    build(root) {
      this._d = el("div", {}, [el("slot")]);
      root.append(this._d);
    }
    update() {
      var s = this._d.style;
      s.display = "flex";
      s.flexDirection = this.direction === "inline" ? "row" : "column";
      s.flexWrap = this.direction === "inline" ? "wrap" : "nowrap";
      s.gap = this.gap && this.gap !== "none" ? "12px" : "0";
      s.alignItems = this.alignItems || (this.direction === "inline" ? "center" : "stretch");
      s.justifyContent = this.justifyContent || "flex-start";
    }
  }
  define("s-stack", Stack);

  class Divider extends PolarisElement {
    build(root) { root.append(el("hr")); }
  }
  define("s-divider", Divider);

  // -- typography -----------------------------------------------------------------------------

  class Heading extends PolarisElement {
    static props = { accessibilityRole: "string" };
    build(root) { root.append(el("h3", {}, [el("slot")])); }
  }
  define("s-heading", Heading);

  class Text extends PolarisElement {
    static props = { tone: "string", type: "string", color: "string" };
    build(root) {
      this._s = el("span", {}, [el("slot")]);
      root.append(this._s);
    }
    update() {
      this._s.style.fontWeight = this.type === "strong" ? "600" : "";
      this._s.style.color = this.color === "subdued" ? "#616161" :
        this.tone === "critical" ? "#8e1f0b" : this.tone === "success" ? "#0c5132" : "";
    }
  }
  define("s-text", Text);

  class Paragraph extends PolarisElement {
    static props = { tone: "string", color: "string" };
    build(root) { root.append(el("p", {}, [el("slot")])); }
  }
  define("s-paragraph", Paragraph);

  class Badge extends PolarisElement {
    static props = { tone: "string", size: "string" };
    build(root) {
      this._s = el("span", { class: "badge" }, [el("slot")]);
      root.append(this._s);
    }
    update() { this._s.className = "badge tone-" + (this.tone || "neutral"); }
  }
  define("s-badge", Badge);

  class Banner extends PolarisElement {
    static props = { heading: "string", tone: "string", dismissible: "boolean" };
    build(root) {
      this._h = el("strong");
      this._close = el("button", { type: "button", class: "tertiary", "aria-label": "Dismiss" },
        ["×"]);
      var self = this;
      this._close.addEventListener("click", function () {
        self.hidden = true;
        self.emit("dismiss");
      });
      this._d = el("div", { class: "banner" }, [this._h, el("slot"), this._close]);
      root.append(this._d);
    }
    update() {
      this._h.textContent = text(this.heading);
      this._h.hidden = !this.heading;
      this._close.hidden = !this.dismissible;
      this._d.className = "banner tone-" + (this.tone || "info");
      this._d.setAttribute("role", this.tone === "critical" ? "alert" : "status");
    }
  }
  define("s-banner", Banner);

  class Spinner extends PolarisElement {
    static props = { accessibilityLabel: "string", size: "string" };
    build(root) {
      this._s = el("span", { class: "spinner", role: "progressbar" });
      root.append(this._s);
    }
    update() { this._s.setAttribute("aria-label", this.accessibilityLabel || "Loading"); }
  }
  define("s-spinner", Spinner);

  // -- actions --------------------------------------------------------------------------------

  class Button extends PolarisElement {
    static props = { variant: "string", tone: "string", disabled: "boolean", loading: "boolean",
      accessibilityLabel: "string", type: "string", icon: "string" };
    constructor() {
      super();
      var self = this;
      // A disabled or busy button does nothing, as the real one.
      this.addEventListener("click", function (event) {
        if (self.disabled || self.loading) event.stopImmediatePropagation();
      }, true);
    }
    build(root) {
      this._b = el("button", { type: "button", part: "button" }, [el("slot")]);
      root.append(this._b);
    }
    update() {
      this._b.className = [this.variant || "secondary", this.tone || ""].join(" ");
      this._b.disabled = Boolean(this.disabled || this.loading);
      if (this.loading) this._b.setAttribute("aria-busy", "true");
      else this._b.removeAttribute("aria-busy");
      if (this.accessibilityLabel) this._b.setAttribute("aria-label", this.accessibilityLabel);
      else this._b.removeAttribute("aria-label");
    }
  }
  define("s-button", Button);

  class Link extends PolarisElement {
    static props = { href: "string", target: "string", tone: "string",
      accessibilityLabel: "string", download: "string" };
    build(root) {
      this._a = el("a", { part: "link" }, [el("slot")]);
      root.append(this._a);
    }
    update() {
      if (this.href) this._a.setAttribute("href", this.href);
      else {
        this._a.removeAttribute("href");
        this._a.setAttribute("role", "link");
        this._a.tabIndex = 0;
      }
      ["target", "download"].forEach(function (name) {
        if (this[name]) this._a.setAttribute(name, this[name]);
        else this._a.removeAttribute(name);
      }, this);
      if (this.accessibilityLabel) this._a.setAttribute("aria-label", this.accessibilityLabel);
    }
  }
  define("s-link", Link);

  // -- forms ----------------------------------------------------------------------------------

  var FIELD_PROPS = { label: "string", labelAccessibilityVisibility: "string", value: "string",
    error: "string", details: "string", disabled: "boolean", required: "boolean",
    placeholder: "string", name: "string", readOnly: "boolean" };
  var fieldIds = 0;

  class Field extends PolarisElement {
    control() { return el("input", { type: "text" }); }
    build(root) {
      fieldIds += 1;
      var id = "f" + fieldIds;
      this._label = el("label", { for: id });
      this._input = this.control();
      this._input.id = id;
      this._details = el("div", { class: "details", id: id + "-details" });
      this._error = el("div", { class: "error", id: id + "-error" });
      this._input.setAttribute("aria-describedby", id + "-error " + id + "-details");
      this._prefix = el("span");
      this._suffix = el("span");
      root.append(el("div", { class: "field" }, [
        this._label,
        el("div", { class: "row" }, [this._prefix, this._input, this._suffix]),
        this._error,
        this._details,
      ]));
      var self = this;
      this._input.addEventListener("input", function (event) {
        event.stopPropagation();
        self._v.value = self._input.value;
        self.emit("input");
      });
      this._input.addEventListener("change", function (event) {
        event.stopPropagation();
        self._v.value = self._input.value;
        self.emit("change");
      });
    }
    update() {
      this._label.textContent = text(this.label);
      this._label.className =
        this.labelAccessibilityVisibility === "exclusive" ? "visually-hidden" : "";
      if (this._input.value !== text(this.value)) this._input.value = text(this.value);
      this._input.disabled = Boolean(this.disabled);
      this._input.readOnly = Boolean(this.readOnly);
      this._input.required = Boolean(this.required);
      if (this.placeholder) this._input.setAttribute("placeholder", this.placeholder);
      if (this.error) this._input.setAttribute("aria-invalid", "true");
      else this._input.removeAttribute("aria-invalid");
      this._error.textContent = text(this.error);
      this._details.textContent = text(this.details);
      this._prefix.textContent = text(this.prefix);
      this._suffix.textContent = text(this.suffix);
    }
  }

  class TextField extends Field {
    static props = Object.assign({ prefix: "string", suffix: "string", maxLength: "string" },
      FIELD_PROPS);
  }
  define("s-text-field", TextField);

  // s-search-field: a text field of type search (its label may be visually hidden).
  class SearchField extends Field {
    static props = Object.assign({}, FIELD_PROPS);
    control() { return el("input", { type: "search" }); }
  }
  define("s-search-field", SearchField);

  // s-date-field: a date as YYYY-MM-DD (the browser's own date input stands in for Polaris's
  // calendar popover); `input` while typing, `change` once a date is picked.
  class DateField extends Field {
    static props = Object.assign({ allow: "string", disallow: "string" }, FIELD_PROPS);
    control() { return el("input", { type: "date" }); }
  }
  define("s-date-field", DateField);

  class NumberField extends Field {
    static props = Object.assign({ min: "string", max: "string", step: "string",
      prefix: "string", suffix: "string" }, FIELD_PROPS);
    control() { return el("input", { type: "number" }); }
    update() {
      super.update();
      ["min", "max", "step"].forEach(function (name) {
        if (this[name] !== "" && this[name] !== undefined) this._input.setAttribute(name, this[name]);
      }, this);
    }
  }
  define("s-number-field", NumberField);

  class TextArea extends Field {
    static props = Object.assign({ rows: "string" }, FIELD_PROPS);
    control() { return el("textarea", { spellcheck: "false" }); }
    update() {
      super.update();
      this._input.rows = Number(this.rows) || 4;
    }
  }
  define("s-text-area", TextArea);

  class Select extends Field {
    static props = Object.assign({}, FIELD_PROPS);
    control() { return el("select"); }
    build(root) {
      super.build(root);
      var self = this;
      new MutationObserver(function () { self.update(); }).observe(this, {
        childList: true, subtree: true, characterData: true, attributes: true,
      });
    }
    update() {
      var wanted = Array.prototype.map.call(this.querySelectorAll("s-option"), function (o) {
        return [text(o.value), o.textContent.trim(), Boolean(o.disabled)];
      });
      var have = Array.prototype.map.call(this._input.options, function (o) {
        return [o.value, o.textContent, o.disabled];
      });
      if (JSON.stringify(wanted) !== JSON.stringify(have)) {
        this._input.replaceChildren.apply(this._input, wanted.map(function (w) {
          var option = el("option", { value: w[0] }, [w[1]]);
          option.disabled = w[2];
          return option;
        }));
      }
      super.update();
    }
  }
  define("s-select", Select);

  class Option extends PolarisElement {
    static props = { value: "string", disabled: "boolean", selected: "boolean" };
    connectedCallback() {
      super.connectedCallback();
      this.style.display = "none";
    }
  }
  define("s-option", Option);

  class Checkbox extends PolarisElement {
    static props = { label: "string", checked: "boolean", disabled: "boolean",
      details: "string", error: "string", name: "string", value: "string",
      labelAccessibilityVisibility: "string" };
    role() { return null; }
    build(root) {
      this._input = el("input", { type: "checkbox" });
      if (this.role()) this._input.setAttribute("role", this.role());
      this._label = el("span");
      this._details = el("div", { class: "details" });
      this._error = el("div", { class: "error" });
      root.append(el("div", { class: "field" }, [
        el("label", { class: "choice" }, [this._input, this._label]),
        this._error,
        this._details,
      ]));
      var self = this;
      this._input.addEventListener("change", function (event) {
        event.stopPropagation();
        self._v.checked = self._input.checked;
        self.emit("input");
        self.emit("change");
      });
      this._input.addEventListener("input", function (event) { event.stopPropagation(); });
    }
    update() {
      this._label.textContent = text(this.label);
      // "exclusive": the label is for assistive technology only (a row's selection box).
      this._label.className =
        this.labelAccessibilityVisibility === "exclusive" ? "visually-hidden" : "";
      this._input.checked = Boolean(this.checked);
      this._input.disabled = Boolean(this.disabled);
      this._details.textContent = text(this.details);
      this._error.textContent = text(this.error);
    }
  }
  define("s-checkbox", Checkbox);

  class Switch extends Checkbox {
    role() { return "switch"; }
  }
  define("s-switch", Switch);

  class ChoiceList extends PolarisElement {
    static props = { label: "string", name: "string", values: "array", multiple: "boolean",
      disabled: "boolean", error: "string", details: "string" };
    build(root) {
      this._legend = el("legend");
      this._error = el("div", { class: "error" });
      this._details = el("div", { class: "details" });
      root.append(el("fieldset", {}, [this._legend, el("slot"), this._error, this._details]));
    }
    choices() { return Array.prototype.slice.call(this.querySelectorAll("s-choice")); }
    update() {
      this._legend.textContent = text(this.label);
      this._error.textContent = text(this.error);
      this._details.textContent = text(this.details);
      var values = this.values || [];
      var list = this;
      this.choices().forEach(function (choice) { choice.sync(list, values); });
    }
    pick(value, on) {
      var values = this.multiple
        ? this.values.filter(function (v) { return v !== value; }).concat(on ? [value] : [])
        : [value];
      this._v.values = values;
      this.update();
      this.emit("input");
      this.emit("change");
    }
  }
  define("s-choice-list", ChoiceList);

  class Choice extends PolarisElement {
    static props = { value: "string", selected: "boolean", disabled: "boolean",
      accessibilityLabel: "string" };
    build(root) {
      this._input = el("input", { type: "radio" });
      root.append(
        el("label", { class: "choice" }, [this._input, el("span", {}, [el("slot")])]),
        el("div", { class: "details", style: "margin-left: 24px" }, [
          el("slot", { name: "details" }),
        ])
      );
      var self = this;
      this._input.addEventListener("change", function (event) {
        event.stopPropagation();
        var list = self.closest("s-choice-list");
        if (list) list.pick(self.value, self._input.checked);
      });
      this._input.addEventListener("input", function (event) { event.stopPropagation(); });
    }
    connectedCallback() {
      super.connectedCallback();
      var list = this.closest("s-choice-list");
      if (list && list._built) list.update();
    }
    sync(list, values) {
      this._input.type = list.multiple ? "checkbox" : "radio";
      this._input.checked = values.indexOf(this.value) !== -1;
      this._input.disabled = Boolean(list.disabled || this.disabled);
    }
  }
  define("s-choice", Choice);

  // -- tables and lists -----------------------------------------------------------------------

  function roleElement(tag, role, display) {
    class RoleElement extends PolarisElement {
      static props = { format: "string", listSlot: "string" };
      build(root) {
        // A cell's column name, shown before its content when the table is laid out as a list
        // and the column is `labeled` (the default designation).
        this._label = el("span", { class: "details", part: "list-label" });
        this._label.hidden = true;
        root.append(this._label, el("slot"));
      }
      connectedCallback() {
        super.connectedCallback();
        if (!this.hasAttribute("role")) this.setAttribute("role", role);
        var table = this.closest("s-table");
        if (table && table._built && table._list && display !== "block" && display !== "list-item") {
          table.layout();
          return;
        }
        this.tableStyle();
      }
      tableStyle() {
        this.style.cssText = "";
        this.style.display = display;
        if (this._label) {
          this._label.hidden = true;
          this._label.style.cssText = "";
        }
        if (display === "table-cell") {
          this.style.padding = "6px 8px";
          this.style.borderBottom = "1px solid #e3e3e3";
          this.style.verticalAlign = "top";
          this.style.textAlign = this.format === "numeric" || this.format === "currency" ? "right" : "";
        }
        if (display === "table") {
          this.style.width = "100%";
          this.style.borderCollapse = "collapse";
        }
      }
    }
    define(tag, RoleElement);
  }

  // The list layout of a table (variant "list", or "auto" on a narrow container): each row is a
  // stacked card; a column's `listSlot` on its header says where its cells go: `kicker` first
  // and quiet, `primary` in bold, `secondary`, `inline` side by side, and `labeled` (the
  // default) as a "column name: value" pair (shopify.dev/docs/api/app-home/
  // polaris-web-components/structure/table, s-table-header's listSlot).
  var LIST_ORDER = { kicker: 0, primary: 1, secondary: 2, inline: 3, labeled: 4 };
  // Below this width (of the table itself, as a container query would measure it) "auto"
  // lays the table out as a list.
  var LIST_BELOW = 560;
  // s-table: the filters slot above the rows (e.g. an s-search-field), and with `paginate`
  // previous/next buttons that fire `previouspage` / `nextpage` on the table, enabled by
  // `hasPreviousPage` / `hasNextPage`, inert while `loading` (shopify.dev/docs/api/app-home/
  // polaris-web-components/structure/table). The buttons speak the page's language.
  class Table extends PolarisElement {
    static props = { paginate: "boolean", hasPreviousPage: "boolean", hasNextPage: "boolean",
      loading: "boolean", variant: "string" };
    build(root) {
      var self = this;
      this._grid = el("div", { role: "table", part: "table" }, [el("slot")]);
      this._grid.style.cssText = "display: table; width: 100%; border-collapse: collapse;";
      this._previous = el("button", { type: "button", class: "secondary" });
      this._next = el("button", { type: "button", class: "secondary" });
      this._pager = el("nav", { class: "pager" }, [this._previous, this._next]);
      this._pager.style.cssText = "gap: 8px; justify-content: center; padding-top: 8px;";
      this._previous.addEventListener("click", function () {
        if (self.hasPreviousPage && !self.loading) self.emit("previouspage");
      });
      this._next.addEventListener("click", function () {
        if (self.hasNextPage && !self.loading) self.emit("nextpage");
      });
      var filters = el("div", { part: "filters" }, [el("slot", { name: "filters" })]);
      filters.style.cssText = "padding-bottom: 8px;";
      root.append(filters, this._grid, this._pager);
    }
    connectedCallback() {
      super.connectedCallback();
      this.style.display = "block";
      var self = this;
      if (!this._observers) {
        this._observers = [
          new ResizeObserver(function () { self.layout(); }),
          new MutationObserver(function () { self.layout(); }),
        ];
      }
      this._observers[0].observe(this);
      this._observers[1].observe(this, { childList: true, subtree: true, characterData: true,
        attributes: true, attributeFilter: ["list-slot", "format"] });
      this.layout();
    }
    disconnectedCallback() {
      (this._observers || []).forEach(function (o) { o.disconnect(); });
    }
    layout() {
      var width = this.getBoundingClientRect().width;
      var list = this.variant === "list" || (this.variant !== "table" && width > 0 && width < LIST_BELOW);
      this._list = list;
      this._grid.style.display = list ? "block" : "table";
      var headerRow = this.querySelector("s-table-header-row");
      var headers = headerRow ? Array.prototype.slice.call(headerRow.querySelectorAll("s-table-header")) : [];
      var parts = Array.prototype.slice.call(
        this.querySelectorAll("s-table-header-row, s-table-header, s-table-body, s-table-row, s-table-cell"));
      if (!list) {
        parts.forEach(function (part) { if (part.tableStyle) part.tableStyle(); });
        return;
      }
      // The column names move into the cells; a header holding a control (select all) stays,
      // above the cards, so the control is still there on a phone.
      var controls = headers.filter(function (h) { return h.children.length > 0; });
      if (headerRow) {
        headerRow.style.cssText = controls.length
          ? "display: flex; gap: 12px; padding: 0 0 6px; border-bottom: 1px solid #e3e3e3;"
          : "display: none;";
      }
      headers.forEach(function (h) {
        h.style.cssText = controls.indexOf(h) === -1 ? "display: none;" : "display: block; padding: 0;";
      });
      var body = this.querySelector("s-table-body");
      if (body) body.style.cssText = "display: block;";
      this.querySelectorAll("s-table-row").forEach(function (row) {
        row.style.cssText = "display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 12px;" +
          " padding: 10px 0; border-bottom: 1px solid #e3e3e3; min-width: 0;";
        var cells = Array.prototype.filter.call(row.children, function (c) { return c.localName === "s-table-cell"; });
        cells.forEach(function (cell, index) {
          var header = headers[index];
          var slot = (header && header.listSlot) || "labeled";
          if (!(slot in LIST_ORDER)) slot = "labeled";
          var name = header ? header.textContent.trim() : "";
          var css = "display: block; min-width: 0; overflow-wrap: anywhere; order: " + LIST_ORDER[slot] + ";";
          if (slot === "inline") css += " flex: 0 1 auto;";
          else css += " flex: 1 1 100%;";
          if (slot === "primary") css += " font-weight: 600;";
          if (slot === "kicker" || slot === "secondary") css += " color: #616161;";
          if (slot === "kicker") css += " font-size: 12px;";
          cell.style.cssText = css;
          if (cell._label) {
            var labeled = slot === "labeled" && Boolean(name);
            cell._label.hidden = !labeled;
            cell._label.textContent = labeled ? name + " " : "";
            cell._label.style.cssText = labeled ? "display: block; font-size: 12px;" : "";
          }
        });
      });
    }
    update() {
      var fr = (document.documentElement.lang || "").toLowerCase().indexOf("fr") === 0;
      this._previous.textContent = fr ? "Page précédente" : "Previous page";
      this._next.textContent = fr ? "Page suivante" : "Next page";
      this._pager.setAttribute("aria-label", "Pagination");
      this._pager.style.display = this.paginate ? "flex" : "none";
      this._previous.disabled = !this.hasPreviousPage || Boolean(this.loading);
      this._next.disabled = !this.hasNextPage || Boolean(this.loading);
      if (this.loading) this._grid.setAttribute("aria-busy", "true");
      else this._grid.removeAttribute("aria-busy");
      if (this._observers) this.layout();
    }
  }
  define("s-table", Table);
  roleElement("s-table-header-row", "row", "table-header-group");
  roleElement("s-table-header", "columnheader", "table-cell");
  roleElement("s-table-body", "rowgroup", "table-row-group");
  roleElement("s-table-row", "row", "table-row");
  roleElement("s-table-cell", "cell", "table-cell");
  roleElement("s-unordered-list", "list", "block");
  roleElement("s-list-item", "listitem", "list-item");
})();
