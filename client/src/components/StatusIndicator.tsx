import type { ConnectionStatus } from "../lib/realtime/socket";

const LABELS: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

export function StatusIndicator({ status }: { status: ConnectionStatus }) {
  return (
    <span className={`status status-${status}`} data-testid="connection-status" data-status={status} role="status">
      <span className="dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
