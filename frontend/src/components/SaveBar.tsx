// App Bridge's contextual save bar (<ui-save-bar>, drawn by the admin outside the app's frame):
// shown while a form has unsaved changes, its Save and Discard buttons hooked to the form's,
// and leaving the page with unsaved changes asks the merchant first.

import { useEffect, useRef } from "react";

import { go } from "../route";

export function SaveBar({
  id,
  dirty,
  saving,
  onSave,
  onDiscard,
}: {
  id: string;
  dirty: boolean;
  saving: boolean;
  onSave: () => void;
  onDiscard: () => void;
}) {
  const ref = useRef<UISaveBarElement>(null);
  useEffect(() => {
    const bar = ref.current;
    // Outside the admin (App Bridge not loaded) there is no save bar to show.
    if (!bar || typeof bar.show !== "function") return;
    void (dirty ? bar.show() : bar.hide());
  }, [dirty]);
  return (
    <ui-save-bar id={id} ref={ref}>
      <button variant="primary" loading={saving ? "" : undefined} onClick={onSave}></button>
      <button onClick={onDiscard}></button>
    </ui-save-bar>
  );
}

function showingSaveBar(): boolean {
  return Array.from(document.querySelectorAll("ui-save-bar")).some(
    (bar) => (bar as UISaveBarElement).showing,
  );
}

/** In-app links wait for the merchant's word while a save bar shows (App Bridge's
 * leaveConfirmation: resolved when they choose to leave, never when they stay). */
export function useLeaveGuard(): void {
  useEffect(() => {
    const onClick = (event: MouseEvent) => {
      if (!showingSaveBar()) return;
      const link = event
        .composedPath()
        .find((node): node is HTMLAnchorElement => node instanceof HTMLAnchorElement);
      const to = link?.getAttribute("href");
      if (!to?.startsWith("#")) return;
      event.preventDefault();
      event.stopPropagation();
      void window.shopify?.saveBar.leaveConfirmation().then(() => go(to));
    };
    document.addEventListener("click", onClick, true);
    return () => document.removeEventListener("click", onClick, true);
  }, []);
}
