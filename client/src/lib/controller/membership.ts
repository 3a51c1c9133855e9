// What I belong to: live events (messages, members, reads) applied to the list and the store,
// and the actions that change membership (create, join, leave, invite, remove, open a DM).

import type { Api } from "../api";
import type { MessageStore } from "../store/messages";
import { inMainList } from "../threads";
import { isRemoved, type ChatEvent, type Message } from "../types";
import { countedChange } from "../unread";
import { withChannelState } from "../channel-settings";
import type { Connection } from "./connection";
import type { Reading } from "./reading";
import { conversationTitle, type ChatState } from "./state";
import type { Sync } from "./sync";
import type { Toasts } from "./toasts";

export interface MembershipDeps {
  api: Api;
  state: ChatState;
  store: MessageStore;
  toasts: Toasts;
  reading: Reading;
  sync: Sync;
  connection: Connection;
  open(id: string): Promise<void>;
  /** A reply arrived (lib/controller/threads.ts). */
  onReply(reply: Message): void;
  /** A new message arrived live (browser notifications, lib/controller/notifier.ts). */
  onLiveMessage(message: Message): void;
  /** I was added to a conversation, by the change of `seq` (notifications of what came before
   * my subscription). */
  onJoined(conversationId: string, seq: number): void;
}

export class Membership {
  /** Conversations I am leaving: their memberRemoved event is my own doing. */
  private readonly leaving = new Set<string>();

  constructor(private readonly deps: MembershipDeps) {}

  forgetConversation(id: string): void {
    const { state } = this.deps;
    this.deps.store.forget(id);
    this.deps.reading.forget(id);
    const conversations = state.get().conversations.filter((c) => c.id !== id);
    const activeId = state.get().activeId === id ? (conversations[0]?.id ?? null) : state.get().activeId;
    state.set({ conversations, activeId });
    if (activeId && activeId !== id) void this.deps.open(activeId);
  }

  async onEvent(event: ChatEvent): Promise<void> {
    const { state, store, reading, sync, connection } = this.deps;
    const me = state.me;
    const id = event.conversationId;
    const known = state.get().conversations.some((c) => c.id === id);
    const userId = event.type === "chat:memberAdded" || event.type === "chat:memberRemoved" || event.type === "chat:conversationRead" ? event.data.userId : null;

    if (event.type === "chat:memberRemoved" && userId === me) {
      const c = state.get().conversations.find((x) => x.id === id);
      // My own leave says so itself (leave() toasts "You left #name").
      if (!this.leaving.has(id)) this.deps.toasts.toast(`You were removed from ${c ? conversationTitle(c, me) : "a channel"}`);
      this.forgetConversation(id);
      return;
    }
    if (event.type === "chat:conversationRead") {
      // Another tab or device of mine read this far (or my own mark came back).
      if (userId === me) {
        reading.marked(id, event.data.seq);
        reading.showCounts(id, reading.unread.read(id, event.data.seq));
      }
      return;
    }
    if (event.type === "chat:notificationLevel") {
      // Set in another tab or on another device (the server sends it to my connections only).
      if (event.data.userId === me) state.patchConversation(id, (c) => ({ ...c, notificationLevel: event.data.level }));
      return;
    }
    if (event.type === "chat:memberAdded" && userId === me) {
      // Subscribe before asking for the list: a message sent between the list's answer and the
      // subscription would otherwise reach no socket of mine. The ledger counts what arrives
      // meanwhile on top of the answer.
      connection.subscribe([id]);
      reading.unread.apply(id, countedChange(event, me));
      await sync.refreshConversations();
      if (store.has(id)) void sync.catchUp(id);
      this.deps.onJoined(id, event.seq);
      return;
    }
    if (event.type === "chat:conversationUpdated") {
      // Renamed, its topic edited, archived or unarchived: the header, the list and the composer
      // follow. (Its seq goes to the store below, like any change.)
      const data = event.data;
      state.patchConversation(id, (c) => withChannelState(c, data));
    }
    // Counted before the store applies it (a deleted message's earlier copy tells its mentions);
    // the ledger drops a frame it has counted before (a duplicate, or one the last answer has).
    const arrived: Message | null = event.type === "chat:newMessage" && !isRemoved(event.data) ? event.data : null;
    if (arrived?.threadRootId) this.deps.onReply(arrived);
    if (arrived) this.deps.onLiveMessage(arrived);
    // A reply in its thread only is not part of the conversation's reading (lib/unread.ts).
    const sent = arrived && inMainList(arrived) ? arrived : null;
    if (sent && sent.authorId !== me && reading.reading(id)) {
      reading.unread.read(id, event.seq);
    }
    const counts = reading.count(event);
    if (store.has(id) && store.applyEvent(event) === "gap") {
      void sync.catchUp(id);
    }
    if (!known) {
      // A conversation the list has not seen (its memberAdded missed, or still on its way):
      // subscribe and list it; the answer plus the ledger count this message.
      connection.subscribe([id]);
      await sync.refreshConversations();
      return;
    }
    reading.showCounts(id, counts);
    if (sent && counts) {
      state.patchConversation(id, (c) => ({ ...c, lastMessageAt: sent.createdAt }));
      // My own send moved my read position on the server: nothing to mark for it.
      if (sent.authorId === me) reading.marked(id, event.seq);
      else if (reading.reading(id)) reading.scheduleMarkRead();
    }
  }

  /** Lists a conversation I now belong to, listens to it and opens it. */
  private async enter(id: string): Promise<void> {
    await this.deps.sync.refreshConversations();
    this.deps.connection.subscribe([id]);
    await this.deps.open(id);
  }

  async createChannel(name: string, visibility: "public" | "private", topic: string): Promise<boolean> {
    try {
      const created = await this.deps.api.createChannel(name, visibility, topic || undefined);
      await this.enter(created.id);
      return true;
    } catch (e) {
      this.deps.toasts.report(e, "Could not create the channel");
      return false;
    }
  }

  async join(id: string): Promise<void> {
    try {
      await this.deps.api.join(id);
      await this.enter(id);
    } catch (e) {
      this.deps.toasts.report(e, "Could not join");
    }
  }

  async leave(id: string): Promise<void> {
    const { state, toasts } = this.deps;
    const c = state.get().conversations.find((x) => x.id === id);
    this.leaving.add(id);
    try {
      await this.deps.api.leave(id);
      toasts.toast(`You left ${c ? conversationTitle(c, state.me) : "the channel"}`);
      this.forgetConversation(id);
    } catch (e) {
      toasts.report(e, "Could not leave");
    } finally {
      // The event may come after the answer: keep the mark a little while.
      setTimeout(() => this.leaving.delete(id), 10_000);
    }
  }

  /** Renames a channel, edits its topic, or (un)archives it; the list shows the answer at once
   * (the live event that follows changes nothing more). False when refused (a toast says why). */
  async updateChannel(id: string, change: { name?: string; topic?: string; archived?: boolean }): Promise<boolean> {
    const { api, state, toasts } = this.deps;
    try {
      const { archived, ...fields } = change;
      const details = archived === undefined ? await api.updateChannel(id, fields) : await api.setArchived(id, archived);
      state.patchConversation(id, (c) => withChannelState(c, details));
      return true;
    } catch (e) {
      const what = change.archived === true ? "archive" : change.archived === false ? "unarchive" : change.name !== undefined ? "rename" : "change";
      toasts.report(e, `Could not ${what} the channel`);
      return false;
    }
  }

  async invite(id: string, userId: string): Promise<void> {
    try {
      await this.deps.api.invite(id, userId);
      this.deps.toasts.toast("Invited");
    } catch (e) {
      this.deps.toasts.report(e, "Could not invite");
    }
  }

  async removeMember(id: string, userId: string): Promise<void> {
    try {
      await this.deps.api.removeMember(id, userId);
      this.deps.toasts.toast("Removed");
    } catch (e) {
      this.deps.toasts.report(e, "Could not remove");
    }
  }

  async openDm(userId: string): Promise<void> {
    try {
      const dm = await this.deps.api.openDm(userId);
      await this.enter(dm.id);
    } catch (e) {
      this.deps.toasts.report(e, "Could not open the conversation");
    }
  }

  /** Opens (or creates) the DM of me and `userIds`; false if it could not. */
  async openGroupDm(userIds: string[]): Promise<boolean> {
    try {
      const dm = await this.deps.api.openGroupDm(userIds);
      await this.enter(dm.id);
      return true;
    } catch (e) {
      this.deps.toasts.report(e, "Could not open the conversation");
      return false;
    }
  }
}
