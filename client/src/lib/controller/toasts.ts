// Short-lived notices at the page's edge; failed actions report through them.

import { ApiError } from "../api";
import type { ChatState, Toast } from "./state";

const TOAST_MS = 6_000;

export class Toasts {
  private seq = 0;

  constructor(private readonly state: ChatState) {}

  toast(text: string, kind: Toast["kind"] = "info"): void {
    const id = ++this.seq;
    this.state.set({ toasts: [...this.state.get().toasts, { id, kind, text }] });
    setTimeout(() => this.state.set({ toasts: this.state.get().toasts.filter((t) => t.id !== id) }), TOAST_MS);
  }

  report(e: unknown, what: string): void {
    const message = e instanceof ApiError ? e.message : String(e);
    this.toast(`${what}: ${message}`, "error");
  }
}
