import { useEffect, useState } from "react";

import type { Api } from "../lib/api";
import { Modal } from "./Dialog";

interface Metrics {
  windowMinutes: number;
  connectionsNow: number;
  connects: number;
  disconnects: number;
  eventsPushed: Record<string, number>;
  pushFailures: number;
  goneCleanups: number;
  fanouts: number;
  fanoutLatencyMs: Record<string, number | null>;
  requests: Record<string, Record<string, number>>;
}

interface Room {
  tenantId: string;
  conversationId: string;
  connections: number;
  users: number;
}

interface Connection {
  connectionId: string;
  tenantId: string;
  userId: string;
  connectedAt: string;
  lastSeenAt: string;
  subscriptions: number;
}

/** Super admins: the three debug endpoints, across every tenant (numbers come from the table). */
export function OperationsPanel({ api, onClose }: { api: Api; onClose: () => void }) {
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [rooms, setRooms] = useState<Room[]>([]);
  const [connections, setConnections] = useState<Connection[]>([]);
  const [tenant, setTenant] = useState("");
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const filter = tenant.trim() ? `?tenantId=${encodeURIComponent(tenant.trim())}` : "";
      const [m, r, c] = await Promise.all([
        api.debug<Metrics>("metrics"),
        api.debug<{ items: Room[] }>("rooms"),
        api.debug<{ items: Connection[] }>("connections", filter),
      ]);
      setMetrics(m);
      setRooms(r.items);
      setConnections(c.items);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : "could not load");
    }
  };
  useEffect(() => {
    void load();
    // Loaded when opened; "Refresh" reloads.
  }, []);

  return (
    <Modal label="Operations" onClose={onClose} testId="operations-panel" wide>
        <header>
          <h3>Operations (last {metrics?.windowMinutes ?? 60} min)</h3>
          <span>
            <button onClick={() => void load()}>Refresh</button>{" "}
            <button className="link" onClick={onClose}>
              Close
            </button>
          </span>
        </header>
        {error && <p className="error">{error}</p>}
        {metrics && (
          <dl className="stats" data-testid="ops-metrics">
            <dt>Connections now</dt>
            <dd data-testid="connections-now">{metrics.connectionsNow}</dd>
            <dt>Connects / disconnects</dt>
            <dd>
              {metrics.connects} / {metrics.disconnects}
            </dd>
            <dt>Push failures / Gone clean-ups</dt>
            <dd>
              {metrics.pushFailures} / {metrics.goneCleanups}
            </dd>
            <dt>Fan-out latency p50 / p90 / p99</dt>
            <dd>
              {["p50", "p90", "p99"].map((p) => `≤${metrics.fanoutLatencyMs[p] ?? "–"} ms`).join(" / ")}
            </dd>
            {Object.entries(metrics.eventsPushed).map(([kind, n]) => [<dt key={`${kind}-t`}>Pushed {kind}</dt>, <dd key={`${kind}-d`}>{n}</dd>])}
          </dl>
        )}
        {metrics && (
          <>
            <h4>Requests</h4>
            <table className="ops-table">
              <tbody>
                {Object.entries(metrics.requests).map(([route, statuses]) => (
                  <tr key={route}>
                    <td>{route}</td>
                    <td>{Object.entries(statuses).map(([status, n]) => `${status}: ${n}`).join(", ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        <h4>Rooms</h4>
        <table className="ops-table">
          <tbody>
            {rooms.map((r) => (
              <tr key={`${r.tenantId}/${r.conversationId}`}>
                <td>{r.tenantId}</td>
                <td>{r.conversationId}</td>
                <td>
                  {r.connections} connections, {r.users} users
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h4>Connections</h4>
        <input placeholder="tenant filter" value={tenant} onChange={(e) => setTenant(e.target.value)} onBlur={() => void load()} />
        <table className="ops-table" data-testid="ops-connections">
          <tbody>
            {connections.map((c) => (
              <tr key={c.connectionId}>
                <td>{c.tenantId}</td>
                <td>{c.userId}</td>
                <td>{new Date(c.connectedAt).toLocaleTimeString()}</td>
                <td>{c.subscriptions} subscriptions</td>
              </tr>
            ))}
          </tbody>
        </table>
    </Modal>
  );
}
