import { useEffect, useRef, useState, type ReactNode } from "react";

/** Focus goes back where it was when a dialog or panel closes (it unmounts, so the browser's
 * own restore does not run). */
function useReturnFocus(): void {
  // Read while rendering, before any child's effect moves focus into the panel (the thread
  // panel's composer takes the keyboard as it mounts).
  const [before] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  useEffect(
    () => () => {
      if (before?.isConnected) before.focus();
    },
    [before],
  );
}

/** A modal on the native <dialog> (showModal: focus trapped, the page inert, Escape cancels). */
export function Modal({ label, onClose, children, wide, testId }: { label: string; onClose: () => void; children: ReactNode; wide?: boolean; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useReturnFocus();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    // React's autoFocus runs before showModal, which then moves focus to the first control.
    d?.querySelector<HTMLElement>("[data-autofocus]")?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`modal-body ${wide ? "wide" : ""}`}
      aria-label={label}
      data-testid={testId}
      // showModal makes the page inert, but Tab past the last control leaves the document for
      // the browser's own UI: wrap it inside the dialog instead.
      onKeyDown={(e) => trapTab(e, ref.current)}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog itself, outside its content box) closes it.
        if (e.target === e.currentTarget) {
          const r = e.currentTarget.getBoundingClientRect();
          if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) onClose();
        }
      }}
    >
      {children}
    </dialog>
  );
}

export interface Confirmation {
  title: string;
  body: string;
  confirmLabel: string;
  action: () => void;
}

/** "Are you sure?" for what cannot be undone; the confirm button has focus, Escape cancels. */
export function ConfirmDialog({ confirmation, onClose }: { confirmation: Confirmation; onClose: () => void }) {
  return (
    <Modal label={confirmation.title} onClose={onClose} testId="confirm-dialog">
      <form
        method="dialog"
        className="confirm"
        onSubmit={(e) => {
          e.preventDefault();
          onClose();
          confirmation.action();
        }}
      >
        <h3>{confirmation.title}</h3>
        <p>{confirmation.body}</p>
        <div className="confirm-actions">
          <button type="button" onClick={onClose} data-testid="confirm-cancel">
            Cancel
          </button>
          <button type="submit" className="danger" data-autofocus data-testid="confirm-ok">
            {confirmation.confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Side panels (members, search) close on Escape too, and give focus back. */
export function usePanel(onClose: () => void): void {
  useReturnFocus();
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      // An open modal handles its own Escape.
      if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector("dialog[open]")) close.current();
    };
    document.addEventListener("keydown", key);
    return () => document.removeEventListener("keydown", key);
  }, []);
}

const TABBABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/** Tab and Shift+Tab wrap around inside `container` (a popover dialog that is not a native
 * modal <dialog>, such as the emoji picker). True when it handled the key. */
export function trapTab(e: { key: string; shiftKey: boolean; preventDefault: () => void }, container: HTMLElement | null): boolean {
  if (e.key !== "Tab" || !container) return false;
  const stops = [...container.querySelectorAll<HTMLElement>(TABBABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (!first || !last) return false;
  const at = document.activeElement;
  if (e.shiftKey && (at === first || !container.contains(at))) {
    e.preventDefault();
    last.focus();
    return true;
  }
  if (!e.shiftKey && (at === last || !container.contains(at))) {
    e.preventDefault();
    first.focus();
    return true;
  }
  return false;
}
