// Profiles by id, for author names and mention chips; filled in batches as messages arrive.

import type { Api } from "../api";
import type { Me, UserProfile } from "../types";
import type { ChatState } from "./state";

export class Users {
  private readonly users = new Map<string, UserProfile>();
  private readonly requested = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    private readonly state: ChatState,
    me: Me,
  ) {
    this.users.set(me.userId, { id: me.userId, handle: me.handle, displayName: me.displayName });
  }

  user(id: string): UserProfile | undefined {
    const known = this.users.get(id);
    if (!known) this.request(id);
    return known;
  }

  remember(users: UserProfile[]): void {
    for (const u of users) this.users.set(u.id, u);
    this.state.set({ usersVersion: this.state.get().usersVersion + 1 });
  }

  private request(id: string): void {
    if (this.requested.has(id)) return;
    this.requested.add(id);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const ids = [...this.requested].filter((u) => !this.users.has(u)).slice(0, 100);
      if (ids.length === 0) return;
      this.api
        .usersById(ids)
        .then(({ items }) => this.remember(items))
        .catch(() => {
          for (const u of ids) this.requested.delete(u);
        });
    }, 20);
  }
}
