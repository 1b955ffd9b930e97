// A confirmation in App Bridge's modal (<ui-modal> with its <ui-title-bar>), drawn by the admin
// over everything: what will happen, the action, and a way back.

import { useEffect, useRef } from "react";

export function ConfirmModal({
  id,
  open,
  title,
  body,
  confirm,
  cancel,
  critical = false,
  onConfirm,
  onClose,
}: {
  id: string;
  open: boolean;
  title: string;
  body: string;
  confirm: string;
  cancel: string;
  critical?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<UIModalElement>(null);
  useEffect(() => {
    const modal = ref.current;
    if (!modal) return;
    modal.addEventListener("hide", onClose);
    return () => modal.removeEventListener("hide", onClose);
  }, [onClose]);
  useEffect(() => {
    const modal = ref.current;
    if (!modal || typeof modal.show !== "function") return;
    void (open ? modal.show() : modal.hide());
  }, [open]);
  return (
    <ui-modal id={id} ref={ref}>
      <div>
        <p>{body}</p>
      </div>
      <ui-title-bar title={title}>
        <button variant="primary" tone={critical ? "critical" : undefined} onClick={onConfirm}>
          {confirm}
        </button>
        <button onClick={onClose}>{cancel}</button>
      </ui-title-bar>
    </ui-modal>
  );
}
