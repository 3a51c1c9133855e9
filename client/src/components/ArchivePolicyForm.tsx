import { useEffect, useState } from "react";

import type { Api } from "../lib/api";
import { MAX_RETENTION_DAYS, parseRetentionDays } from "../lib/retention";
import type { ArchivePolicy } from "../lib/types";

function describe(policy: ArchivePolicy): string {
  const kept = policy.archiveRetentionDays === null ? "kept forever" : `kept for ${policy.archiveRetentionDays} days`;
  const purged = policy.purgeDeleted ? ", deleted messages purged" : "";
  return `Saved: the archive is ${kept}${purged}.`;
}

/** Tenant admins: how long the archive keeps messages, purging deleted ones, compliance export. */
export function ArchivePolicyForm({ api, onError }: { api: Api; onError: (m: string) => void }) {
  const [policy, setPolicy] = useState<ArchivePolicy | null>(null);
  const [days, setDays] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    api
      .archivePolicy()
      .then((p) => {
        setPolicy(p);
        setDays(p.archiveRetentionDays === null ? "" : String(p.archiveRetentionDays));
      })
      .catch((e: unknown) => onError(e instanceof Error ? e.message : "could not load the archive policy"));
    // Loaded once when the panel opens.
  }, []);

  if (!policy) return null;
  const change = (next: Partial<ArchivePolicy>) => {
    setPolicy({ ...policy, ...next });
    setSaved(null);
  };
  const save = async () => {
    const parsed = parseRetentionDays(days, "the archive");
    if ("error" in parsed) {
      setInvalid(parsed.error);
      return;
    }
    setInvalid(null);
    try {
      const answer = await api.setArchivePolicy({ ...policy, archiveRetentionDays: parsed.days });
      setPolicy(answer);
      setSaved(describe(answer));
    } catch (e) {
      onError(e instanceof Error ? e.message : "could not save the archive policy");
    }
  };

  return (
    <section className="retention-tenant" data-testid="archive-policy">
      <p className="muted">
        The archive keeps every version of every message after it leaves the chat. It is never pruned before a conversation&apos;s own
        retention, and holds stop pruning and purging.
      </p>
      <label>
        Keep the archive for{" "}
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
          aria-describedby="archive-days-error"
          data-testid="archive-days"
        />{" "}
        days
      </label>
      {invalid && (
        <p className="error" id="archive-days-error" role="alert">
          {invalid}
        </p>
      )}
      <label>
        <input type="checkbox" checked={policy.purgeDeleted} onChange={(e) => change({ purgeDeleted: e.target.checked })} data-testid="archive-purge" />{" "}
        Purge deleted messages from the archive (their text, edits and files; earlier deletions too)
      </label>
      <label>
        <input type="checkbox" checked={policy.complianceExport} onChange={(e) => change({ complianceExport: e.target.checked })} /> Compliance
        export (the compliance role may export any conversation; every export is audited)
      </label>
      <button onClick={() => void save()} data-testid="archive-save">
        Save archive policy
      </button>
      {saved && (
        <span className="saved" role="status" data-testid="archive-saved">
          ✓ {saved}
        </span>
      )}
    </section>
  );
}
