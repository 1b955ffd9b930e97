// The admin UI's entry: mounts the app in the shell's <main id="app">.

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./app";
import { I18nProvider } from "./i18n";
import { currentLocale } from "./i18n/locale";
import "./style.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  createRoot(root).render(
    <StrictMode>
      <I18nProvider locale={currentLocale}>
        <App />
      </I18nProvider>
    </StrictMode>,
  );
}
