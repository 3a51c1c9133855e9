// The signed-in session's bearer token, asked for at each use (never captured once): the Api asks
// before every request, the socket before every attempt. A refused token is renewed once; when
// that fails, or the renewed token is refused too, the session is over and the app goes back to
// sign-in with a message (pending messages and drafts are kept by their own stores).

/** Renew the token this long before it expires when a request asks for it. */
export const RENEW_MARGIN_MS = 15_000;

export const SESSION_ENDED = "Your session has ended. Sign in again to carry on — unsent messages and drafts are kept.";

/** The `exp` of a JWT in ms since the epoch (null when it has none or is not a JWT). Read only to
 * decide when to renew: the server verifies the signature. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** Gets a new token (a refresh-token grant), or null when the session cannot be renewed. */
export type Renew = () => Promise<string | null>;

export class TokenSource {
  private token: string;
  private renewing: Promise<string | null> | null = null;
  private ended = false;
  private readonly renewedListeners = new Set<(token: string) => void>();
  private readonly endedListeners = new Set<(message: string) => void>();

  constructor(
    token: string,
    /** Null for tokens that cannot be renewed (development tokens). */
    private readonly renewer: Renew | null,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.token = token;
  }

  /** The token now, for the socket's URL (synchronous: ChatSocket builds it per attempt). One
   * about to expire starts a renewal, so the next attempt has the new one (after a laptop slept
   * through the scheduled renewal, say). */
  current(): string {
    if (this.expiresSoon()) void this.renew();
    return this.token;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The token for a request: renewed first when it is about to expire. */
  async fresh(): Promise<string> {
    if (this.expiresSoon()) {
      const renewed = await this.renew();
      if (renewed) return renewed;
    }
    return this.token;
  }

  private expiresSoon(): boolean {
    const exp = tokenExpiry(this.token);
    return this.renewer !== null && !this.ended && exp !== null && exp - this.now() < RENEW_MARGIN_MS;
  }

  /** The provider renewed the token in the background (automatic silent renew). */
  update(token: string): void {
    if (this.ended || token === this.token) return;
    this.token = token;
    for (const l of this.renewedListeners) l(token);
  }

  /** `used` was refused (401): renews once. Returns the token to try again with, or null when
   * the session is over (the ended listeners have been told). */
  async refused(used: string): Promise<string | null> {
    if (this.ended) return null;
    // Renewed since the request left: try again with the new one before renewing again.
    if (used !== this.token) return this.token;
    const renewed = await this.renew();
    if (!renewed || renewed === used) {
      this.end(SESSION_ENDED);
      return null;
    }
    return renewed;
  }

  /** The session is over (a renewed token refused too, or sign-out). Idempotent. */
  end(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.renewing = null;
    for (const l of this.endedListeners) l(message);
  }

  onRenewed(listener: (token: string) => void): () => void {
    this.renewedListeners.add(listener);
    return () => this.renewedListeners.delete(listener);
  }

  onEnded(listener: (message: string) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** One renewal at a time: every caller waiting on it gets the same answer. */
  private renew(): Promise<string | null> {
    if (!this.renewer || this.ended) return Promise.resolve(null);
    this.renewing ??= this.renewer()
      .catch(() => null)
      .then((token) => {
        this.renewing = null;
        if (token) this.update(token);
        return token;
      });
    return this.renewing;
  }
}
