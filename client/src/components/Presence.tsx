import { useSyncExternalStore } from "react";

import type { Signals, SignalsSnapshot } from "../lib/controller/signals";
import { presenceLabel, typingSentence, type PresenceStatus } from "../lib/signals";

export function useSignals(signals: Signals): SignalsSnapshot {
  return useSyncExternalStore(signals.subscribe, signals.getSnapshot);
}

/** A presence dot: filled green online, hollow amber away, hollow grey offline (shape as well as
 * colour), named "Bob, away" for screen readers. */
export function PresenceDot({ name, status }: { name: string; status: PresenceStatus | undefined }) {
  const s = status ?? "offline";
  return <span className={`presence-dot presence-${s}`} role="img" aria-label={presenceLabel(name, s)} title={presenceLabel(name, s)} data-testid="presence-dot" data-status={s} />;
}

/** Under the composer, on a line always reserved so the messages above never move. */
export function TypingLine({ names }: { names: string[] }) {
  return (
    <div className="typing-line" aria-live="polite" data-testid="typing-line">
      {typingSentence(names)}
    </div>
  );
}

/** My status, and the switch between active and away (a real button: Enter or Space). */
export function StatusControl({ status, away, onAway }: { status: PresenceStatus; away: boolean; onAway: (away: boolean) => void }) {
  return (
    <span className="status-control">
      <PresenceDot name="You" status={status} />
      <button className="link" onClick={() => onAway(!away)} aria-pressed={away} data-testid="away-toggle">
        {away ? "Set yourself as active" : "Set yourself as away"}
      </button>
    </span>
  );
}
