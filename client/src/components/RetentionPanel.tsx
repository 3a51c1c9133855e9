import { useEffect, useState } from "react";

import type { Api } from "../lib/api";
import { MAX_RETENTION_DAYS, parseRetentionDays } from "../lib/retention";
import { formatSize } from "../lib/uploads";
import type { ArchiveFile, ConversationPolicy, ConversationSummary, RetentionSettings } from "../lib/types";
import { ArchivePolicyForm } from "./ArchivePolicyForm";
import { Modal } from "./Dialog";

/** Tenant admins: the tenant's retention, per-channel overrides, and the archive's export. */
export function RetentionPanel({ api, conversations, onClose, onError }: { api: Api; conversations: ConversationSummary[]; onClose: () => void; onError: (m: string) => void }) {
  const [settings, setSettings] = useState<RetentionSettings | null>(null);
  // The form takes input once the first load has answered (what someone typed before would be
  // overwritten by the server's values); a failed load leaves it usable.
  const [loaded, setLoaded] = useState(false);
  const [days, setDays] = useState<string>("");
  const [hold, setHold] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [channelStatus, setChannelStatus] = useState<{ id: string; text: string; error: boolean } | null>(null);
  const [exportFor, setExportFor] = useState<string>("");
  const [files, setFiles] = useState<ArchiveFile[] | null>(null);
  const channels = conversations.filter((c) => c.kind !== "dm");

  const load = () =>
    api
      .retention()
      .then((s) => {
        setSettings(s);
        setDays(s.tenant.retentionDays === null ? "" : String(s.tenant.retentionDays));
        setHold(s.tenant.legalHold);
      })
      .catch((e: unknown) => onError(e instanceof Error ? e.message : "could not load retention"))
      .finally(() => setLoaded(true));
  useEffect(() => {
    void load();
    // Loaded once when the panel opens.
  }, []);

  const saveTenant = async () => {
    setSaved(null);
    const parsed = parseRetentionDays(days);
    if ("error" in parsed) {
      setInvalid(parsed.error);
      return;
    }
    setInvalid(null);
    try {
      await api.setTenantRetention({ retentionDays: parsed.days, legalHold: hold });
      setSaved(parsed.days === null ? "Saved: messages are kept forever." : `Saved: messages are kept for ${parsed.days} days.`);
      await load();
    } catch (e) {
      onError(e instanceof Error ? e.message : "could not save");
    }
  };

  const policyOf = (id: string): ConversationPolicy => {
    const found = settings?.conversations.find((c) => c.conversationId === id);
    return { retentionDays: found?.retentionDays ?? null, exempt: found?.exempt ?? false, legalHold: found?.legalHold ?? false };
  };

  const saveChannel = async (id: string, policy: ConversationPolicy) => {
    try {
      await api.setConversationRetention(id, policy);
      setChannelStatus({ id, text: "Saved", error: false });
      await load();
    } catch (e) {
      onError(e instanceof Error ? e.message : "could not save");
    }
  };

  return (
    <Modal label="Retention" onClose={onClose} testId="retention-panel">
        <header>
          <h3>Message retention</h3>
          <button className="link" onClick={onClose}>
            Close
          </button>
        </header>
        <p className="muted">Expired messages are archived, then deleted. Direct messages follow the workspace default.</p>
        <section className="retention-tenant">
          <label>
            Keep messages for{" "}
            <input
              type="number"
              min={1}
              max={MAX_RETENTION_DAYS}
              value={days}
              placeholder="forever"
              onChange={(e) => {
                setDays(e.target.value);
                setSaved(null);
                setInvalid(null);
              }}
              aria-invalid={invalid !== null}
              aria-describedby="retention-days-error"
              disabled={!loaded}
              data-testid="retention-days"
            />{" "}
            days
          </label>
          {invalid && (
            <p className="error" id="retention-days-error" role="alert" data-testid="retention-error">
              {invalid}
            </p>
          )}
          <label>
            <input type="checkbox" checked={hold} disabled={!loaded} onChange={(e) => setHold(e.target.checked)} /> Legal hold (suspend all deletion)
          </label>
          <button onClick={() => void saveTenant()} disabled={!loaded} data-testid="retention-save">
            Save
          </button>
          {saved && (
            <span className="saved" role="status" data-testid="retention-saved">
              ✓ {saved}
            </span>
          )}
        </section>
        <h4>Channels</h4>
        <table className="retention-channels">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Days</th>
              <th>Exempt</th>
              <th>Hold</th>
            </tr>
          </thead>
          <tbody>
            {channels.map((c) => {
              const p = policyOf(c.id);
              return (
                <tr key={c.id}>
                  <td>#{c.name}</td>
                  <td>
                    <input
                      type="number"
                      min={1}
                      defaultValue={p.retentionDays ?? ""}
                      placeholder="default"
                      aria-label={`Days for #${c.name ?? ""}`}
                      onBlur={(e) => {
                        const parsed = parseRetentionDays(e.target.value);
                        if ("error" in parsed) setChannelStatus({ id: c.id, text: parsed.error, error: true });
                        else if (parsed.days !== p.retentionDays) void saveChannel(c.id, { ...p, retentionDays: parsed.days });
                      }}
                    />
                    {channelStatus?.id === c.id && (
                      <span className={channelStatus.error ? "error" : "saved"} role={channelStatus.error ? "alert" : "status"} data-testid="retention-channel-status">
                        {channelStatus.text}
                      </span>
                    )}
                  </td>
                  <td>
                    <input type="checkbox" checked={p.exempt} aria-label={`#${c.name ?? ""} exempt`} onChange={(e) => void saveChannel(c.id, { ...p, exempt: e.target.checked })} />
                  </td>
                  <td>
                    <input type="checkbox" checked={p.legalHold} aria-label={`#${c.name ?? ""} legal hold`} onChange={(e) => void saveChannel(c.id, { ...p, legalHold: e.target.checked })} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <h4>Archive</h4>
        <ArchivePolicyForm api={api} onError={onError} />
        <h4>Export the archive</h4>
        <select aria-label="Channel to export" value={exportFor} onChange={(e) => setExportFor(e.target.value)}>
          <option value="">Choose a channel…</option>
          {channels.map((c) => (
            <option key={c.id} value={c.id}>
              #{c.name}
            </option>
          ))}
        </select>
        <button
          disabled={!exportFor}
          onClick={() =>
            void api
              .archive(exportFor)
              .then((r) => setFiles(r.items))
              .catch((e: unknown) => onError(e instanceof Error ? e.message : "could not list the archive"))
          }
        >
          List files
        </button>
        {files && (
          <ul className="archive-files">
            {files.length === 0 && <li className="muted">Nothing archived yet.</li>}
            {files.map((f) => (
              <li key={f.key}>
                <a href={f.url}>{f.day}</a> <span className="muted">{formatSize(f.size)}</span>
              </li>
            ))}
          </ul>
        )}
    </Modal>
  );
}
