// Typing and presence: ephemeral socket signals, never stored and never caught up. The rules
// here are pure (a clock is passed in) so unit tests pin them: who is typing and for how long,
// how often we say we are typing, the "… is typing" sentence, which users' presence we ask for.

import type { components } from "./api-schema";

type Schemas = components["schemas"];

export type PresenceStatus = Schemas["PresenceStatus"];

export type UserPresence = Schemas["UserPresence"];

/** `chat:typing`: someone is typing in a conversation (the schema's `type` is a string: the
 * discriminant is narrowed here). */
export type TypingFrame = Omit<Schemas["TypingFrame"], "type"> & { type: "chat:typing" };

/** `chat:presence` (a transition) and `presence` (the answer to our presence frames). Frames
 * about the user themself also carry their status and away choice. */
export type PresenceFrame = Omit<Schemas["PresenceFrame"], "type"> & { type: "chat:presence" | "presence" };

export type SignalFrame = TypingFrame | PresenceFrame;

export function isSignalFrame(frame: { type: string }): frame is SignalFrame {
  return frame.type === "chat:typing" || frame.type === "chat:presence" || frame.type === "presence";
}

/** A client says it is typing at most this often per conversation. */
export const TYPING_EVERY_MS = 3_000;
/** A typer is forgotten this long after their last signal. */
export const TYPING_EXPIRES_MS = 6_000;
/** A tab is idle after this long without a key, pointer, wheel or focus event. */
export const IDLE_AFTER_MS = 10 * 60_000;
/** User ids one presenceSubscribe may name (the server's limit). */
export const MAX_PRESENCE_IDS = 100;

/** Who is typing where, until when (epoch ms). */
export class Typers {
  private readonly until = new Map<string, Map<string, number>>();

  typed(conversationId: string, userId: string, now: number): void {
    let typers = this.until.get(conversationId);
    if (!typers) this.until.set(conversationId, (typers = new Map()));
    // Re-inserted: the sentence names people in the order they (re)started typing.
    typers.delete(userId);
    typers.set(userId, now + TYPING_EXPIRES_MS);
  }

  /** Their message arrived: they are no longer typing it. */
  stopped(conversationId: string, userId: string): boolean {
    return this.until.get(conversationId)?.delete(userId) ?? false;
  }

  /** The people typing in a conversation at `now`, forgetting the expired ones. */
  typing(conversationId: string, now: number): string[] {
    const typers = this.until.get(conversationId);
    if (!typers) return [];
    for (const [user, until] of typers) if (until <= now) typers.delete(user);
    return [...typers.keys()];
  }

  conversations(): string[] {
    return [...this.until.keys()];
  }

  /** When the next typer expires (to redraw then), if anyone is typing anywhere. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const typers of this.until.values()) for (const until of typers.values()) next = next === null ? until : Math.min(next, until);
    return next;
  }
}

/** "Bob is typing…", "Bob and Carol are typing…", "Several people are typing…", or "". */
export function typingSentence(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

/** Whether a keystroke in `conversationId` at `now` should send `typing` (once per 3 s each). */
export class TypingThrottle {
  private readonly last = new Map<string, number>();

  shouldSend(conversationId: string, now: number): boolean {
    const last = this.last.get(conversationId);
    if (last !== undefined && now - last < TYPING_EVERY_MS) return false;
    this.last.set(conversationId, now);
    return true;
  }

  /** A message was sent: the next keystroke says so again at once. */
  reset(conversationId: string): void {
    this.last.delete(conversationId);
  }
}

/** The users whose presence the page shows, by the part of the page showing them (the DM list,
 * the members panel, the mention autocomplete): their union, without the user, capped. */
export class Watched {
  private readonly bySource = new Map<string, string[]>();

  constructor(private readonly me: string) {}

  /** Sets what one source shows; true when the union changed (time to tell the server). */
  show(source: string, userIds: string[]): boolean {
    const before = this.ids().join(",");
    this.bySource.set(source, userIds);
    return this.ids().join(",") !== before;
  }

  ids(): string[] {
    const all = new Set<string>();
    for (const ids of this.bySource.values()) for (const id of ids) if (id !== this.me) all.add(id);
    return [...all].sort().slice(0, MAX_PRESENCE_IDS);
  }
}

/** A status's words, for a dot's accessible name ("Bob, away"). */
export function presenceLabel(name: string, status: PresenceStatus | undefined): string {
  return `${name}, ${status ?? "offline"}`;
}
