// The storefront bundle's entry (assets/loyalty-widget.js, loaded deferred by the blocks'
// schema): mounts every Boomerang widget on the page, and those the theme editor adds later.
import { mountAll } from "./widget";

mountAll();
document.addEventListener("shopify:section:load", () => mountAll());
document.addEventListener("shopify:block:select", () => mountAll());
