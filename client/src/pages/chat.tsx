import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";

import { Composer } from "../components/Composer";
import { ChannelBrowser } from "../components/ChannelBrowser";
import { ArchivedNotice, ChannelTopic, MoreIcon } from "../components/ChannelHeader";
import { ChannelSettings, type SettingsField } from "../components/ChannelSettings";
import { ConfirmDialog, usePanel, type Confirmation } from "../components/Dialog";
import { MembersPanel } from "../components/MembersPanel";
import { MessageList } from "../components/MessageList";
import { NewMessageDialog } from "../components/NewMessageDialog";
import { NotificationLevelMenu } from "../components/NotificationLevelMenu";
import { NotificationPermission } from "../components/NotificationPermission";
import { OperationsPanel } from "../components/OperationsPanel";
import { RetentionPanel } from "../components/RetentionPanel";
import { SearchBox, SearchPanel } from "../components/SearchPanel";
import { Sidebar } from "../components/Sidebar";
import { SkipLinks } from "../components/SkipLinks";
import { StatusControl, TypingLine, useSignals } from "../components/Presence";
import { StatusIndicator } from "../components/StatusIndicator";
import { ThreadPanel } from "../components/ThreadPanel";
import { ThreadsView } from "../components/ThreadsView";
import { Api } from "../lib/api";
import type { TokenSource } from "../lib/auth-token";
import { ChatController, conversationTitle } from "../lib/chat-controller";
import type { ClientConfig } from "../lib/config";
import { canManageChannel } from "../lib/channel-settings";
import { unreadReplies } from "../lib/controller/threads";
import { isGroupDm } from "../lib/dm-names";
import { routeInUrl } from "../lib/route";
import { QuickSwitcher, useQuickSwitcherKey } from "../components/QuickSwitcher";
import { lastEditable } from "../lib/conversation-view";
import { pageTitle, PRODUCT_TITLE } from "../lib/title";
import { useAddress } from "./use-address";
import type { Me, UserProfile } from "../lib/types";

export function ChatPage({ config, tokens, onSignOut }: { config: ClientConfig; tokens: TokenSource; onSignOut: () => void }) {
  const api = useMemo(() => new Api(config.apiUrl, tokens), [config.apiUrl, tokens]);
  const [me, setMe] = useState<Me | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .me()
      .then((m) => !cancelled && setMe(m))
      .catch((e: unknown) => {
        if (!cancelled) setFailed(e instanceof Error ? e.message : "sign-in failed");
      });
    return () => {
      cancelled = true;
    };
  }, [api]);

  if (failed) {
    return (
      <main className="splash">
        <p role="alert">Could not sign in: {failed}</p>
        <button onClick={onSignOut}>Back to sign-in</button>
      </main>
    );
  }
  if (!me) return <div className="splash">Signing in…</div>;
  return <Chat api={api} wsUrl={config.wsUrl} me={me} onSignOut={onSignOut} />;
}

function Chat({ api, wsUrl, me, onSignOut }: { api: Api; wsUrl: string; me: Me; onSignOut: () => void }) {
  const controller = useMemo(() => {
    const route = routeInUrl();
    return new ChatController(api, wsUrl, api.tokens, me, route?.conversationId ?? null, route?.threadRootId ?? null, route?.messageId ?? null);
  }, [api, wsUrl, me]);
  useEffect(() => {
    void controller.start();
    return () => controller.stop();
  }, [controller]);
  const snapshot = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const openThread = snapshot.thread && snapshot.thread.conversationId === snapshot.activeId && !snapshot.showThreads ? snapshot.thread : null;
  const openRootId = openThread?.rootId ?? null;
  // The address, Back and Forward, and a phone's panes (pages/use-address.ts).
  const { phone, listPane, setListPane, pick, forgetLink, back } = useAddress(controller, snapshot, openRootId);
  // Back to the list on a phone: the keyboard lands on the conversation just left, not on the page.
  const wasListPane = useRef(listPane);
  useEffect(() => {
    if (phone && listPane && !wasListPane.current) {
      const row = document.querySelector<HTMLElement>("nav.sidebar .conv.active") ?? document.querySelector<HTMLElement>("nav.sidebar .conv");
      row?.focus();
    }
    wasListPane.current = listPane;
  }, [phone, listPane]);
  const closeThread = () => back(() => controller.closeThread());
  const [switching, setSwitching] = useState(false);
  useQuickSwitcherKey(() => setSwitching(true));
  useSyncExternalStore(controller.store.subscribe, controller.store.getVersion);
  const signals = useSignals(controller.signals);
  const showDmPeople = useCallback((ids: string[]) => controller.signals.show("dms", ids), [controller]);
  const showSuggested = useCallback((ids: string[]) => controller.signals.show("mentions", ids), [controller]);
  const [browsing, setBrowsing] = useState(false);
  const [dropped, setDropped] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const [showMembers, setShowMembers] = useState(false);
  const [searching, setSearching] = useState<string | null>(null);
  const [retention, setRetention] = useState(false);
  const [operations, setOperations] = useState(false);
  const [confirming, setConfirming] = useState<Confirmation | null>(null);
  // The "New message" dialog, with the people it starts with (adding people to a DM).
  const [composing, setComposing] = useState<UserProfile[] | null>(null);
  // The channel settings dialog, and the field it opens on.
  const [settings, setSettings] = useState<SettingsField | null>(null);
  // Phone-sized windows: the conversation list is a drawer over the page.
  const [navOpen, setNavOpen] = useState(false);
  // The conversation whose composer takes the keyboard next (a DM just picked, after a delete).
  const [focusComposerOf, setFocusComposerOf] = useState<string | null>(null);
  const composerFocused = useCallback(() => setFocusComposerOf(null), []);
  // Up in the empty composer edits my last message; the composer gets the keyboard back after.
  const [editRequest, setEditRequest] = useState<{ id: string; nonce: number } | null>(null);

  const clearDropped = useCallback(() => setDropped([]), []);
  const active = snapshot.conversations.find((c) => c.id === snapshot.activeId) ?? null;
  const messages = active ? controller.visibleMessages(active.id) : [];
  const openTitle = active ? conversationTitle(active, me.userId) : null;
  // Channel admins (not in a DM) and tenant admins may delete other people's messages (the
  // server's rule, shared/src/app/messages.rs `may_delete`).
  const moderator = Boolean(active && ((active.role === "admin" && active.kind !== "dm") || me.roles.includes("tenant-admin")));
  const activeTitle = openTitle ?? "No conversation";
  const manager = Boolean(active && canManageChannel(active, me));
  const confirmArchive = (id: string, title: string) =>
    setConfirming({
      title: `Archive ${title}?`,
      body: "Nobody will be able to post, reply or react in it, and it leaves Browse channels. Its members can still read and search it, and an admin can unarchive it.",
      confirmLabel: "Archive",
      action: () => void controller.updateChannel(id, { archived: true }),
    });
  const tabTitle = pageTitle(snapshot.conversations, snapshot.showThreads ? "Threads" : openTitle);
  const titleOf = (id: string) => {
    const c = snapshot.conversations.find((x) => x.id === id);
    return c ? conversationTitle(c, me.userId) : null;
  };
  useEffect(() => {
    document.title = tabTitle;
  }, [tabTitle]);
  useEffect(() => () => void (document.title = PRODUCT_TITLE), []);

  return (
    <div className={`chat ${navOpen ? "nav-open" : ""} ${openThread ? "thread-open" : ""} ${phone ? `phone pane-${listPane ? "list" : openThread ? "thread" : "conversation"}` : ""}`} data-testid="chat">
      <SkipLinks />
      <Sidebar
        me={me}
        conversations={snapshot.conversations}
        activeId={snapshot.activeId}
        onOpen={(id) => {
          setNavOpen(false);
          pick(id);
          // The open conversation stays where it is (its divider, the place read to), unless it
          // shows a run far back from a search hit: then it goes to the newest.
          if (id === snapshot.activeId && !snapshot.showThreads && !controller.hasNewer(id)) return;
          void controller.open(id);
        }}
        threadsActive={snapshot.showThreads}
        threadsUnread={unreadReplies(snapshot.followed)}
        presence={signals.presence}
        onShowUsers={showDmPeople}
        status={<StatusControl status={signals.myStatus} away={signals.away} onAway={(away) => controller.signals.setAway(away)} />}
        onThreads={() => {
          setNavOpen(false);
          setListPane(false);
          controller.showThreads();
        }}
        onBrowse={() => setBrowsing(true)}
        onNewMessage={() => {
          setNavOpen(false);
          setComposing([]);
        }}
        onOpenDm={(userId) => {
          setNavOpen(false);
          pick(null);
          void controller.openDm(userId).then(() => setFocusComposerOf(controller.getSnapshot().activeId));
        }}
        api={api}
        notifications={<NotificationPermission notifyingTab={snapshot.notifyingTab} />}
        onSignOut={() => {
          // Signing out forgets this user's unsent messages (a session that ended keeps them).
          controller.discardOutbox();
          onSignOut();
        }}
        search={
          <SearchBox
            onSearch={(q) => {
              // One panel at the right at a time: the list keeps its width.
              controller.closeThread();
              setListPane(false);
              setSearching(q);
            }}
          />
        }
        onRetention={me.roles.includes("tenant-admin") ? () => setRetention(true) : undefined}
        onOperations={me.roles.includes("super-admin") ? () => setOperations(true) : undefined}
      />
      <main
        className={`conversation ${dragging ? "dragging" : ""}`}
        onDragOver={(e) => {
          if (active && e.dataTransfer.types.includes("Files")) {
            e.preventDefault();
            setDragging(true);
          }
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          setDragging(false);
          if (active && e.dataTransfer.files.length > 0) {
            e.preventDefault();
            setDropped([...e.dataTransfer.files]);
          }
        }}
      >
        <header className="conversation-header">
          {phone ? (
            <button className="pane-back" onClick={() => back(() => setListPane(true))} aria-label="Back to conversations" data-testid="pane-back">
              <span aria-hidden="true">‹</span>
            </button>
          ) : (
            <button className="nav-toggle" onClick={() => setNavOpen((v) => !v)} aria-expanded={navOpen} aria-label="Conversations" data-testid="nav-toggle">
              ☰
            </button>
          )}
          <div className="conversation-heading">
            <h2 data-testid="conversation-title" title={snapshot.showThreads || snapshot.missingId ? undefined : activeTitle}>
              {snapshot.showThreads ? "Threads" : snapshot.missingId ? "Not available" : activeTitle}
            </h2>
            {!snapshot.showThreads && !snapshot.missingId && active && active.kind !== "dm" && (
              <ChannelTopic topic={active.topic} archived={Boolean(active.archived)} editable={manager} onEdit={() => setSettings("topic")} />
            )}
          </div>
          <div className="header-actions">
            <StatusIndicator status={snapshot.status} />
            {!snapshot.showThreads && active && (
              <NotificationLevelMenu conversation={active} title={activeTitle} onChoose={(level) => void controller.setNotificationLevel(active.id, level)} />
            )}
            {!snapshot.showThreads && active && isGroupDm(active) && (
              <button
                onClick={() => {
                  controller.closeThread();
                  setShowMembers((v) => !v);
                }}
                aria-label={`Members, ${active.members?.length ?? 0} people`}
                data-testid="members-button"
              >
                Members {active.members?.length}
              </button>
            )}
            {!snapshot.showThreads && active && active.kind !== "dm" && (
              <>
                <button
                  onClick={() => {
                    controller.closeThread();
                    setShowMembers((v) => !v);
                  }}
                  data-testid="members-button"
                >
                  Members
                </button>
                {manager && (
                  <button className="settings-button" onClick={() => setSettings("name")} aria-haspopup="dialog" aria-label="Channel settings" data-testid="channel-settings-button">
                    <MoreIcon />
                    <span className="label">Settings</span>
                  </button>
                )}
                <button
                  onClick={() =>
                    setConfirming({
                      title: `Leave ${activeTitle}?`,
                      body: active.kind === "private" ? "You will need an invitation to come back." : "You can join again from Browse channels.",
                      confirmLabel: "Leave",
                      action: () => void controller.leave(active.id),
                    })
                  }
                  data-testid="leave-button"
                >
                  Leave
                </button>
              </>
            )}
          </div>
        </header>
        {snapshot.missingId ? (
          <Unavailable
            first={snapshot.conversations[0] ? { id: snapshot.conversations[0].id, title: conversationTitle(snapshot.conversations[0], me.userId) } : null}
            onOpen={(id) => {
              pick(id);
              forgetLink();
              void controller.open(id);
            }}
          />
        ) : snapshot.showThreads ? (
          <ThreadsView
            followed={snapshot.followed}
            conversationTitle={titleOf}
            user={(id) => controller.user(id)}
            onOpen={(t) => void controller.openThread(t.conversationId, t.root.id)}
            onMore={snapshot.followedCursor ? () => void controller.moreFollowed() : undefined}
          />
        ) : active ? (
          <>
            {snapshot.shownId === active.id ? (
              <MessageList
                key={`${active.id}-${snapshot.viewKey}`}
                me={me.userId}
                title={activeTitle}
                kind={active.kind}
                messages={messages}
                hasOlder={Boolean(controller.store.olderCursor(active.id))}
                loadingOlder={snapshot.loadingOlder}
                onLoadOlder={() => void controller.loadOlder()}
                hasNewer={controller.hasNewer(active.id)}
                loadingNewer={snapshot.loadingNewer}
                onLoadNewer={() => void controller.loadNewer()}
                unreadFromId={snapshot.unreadFrom?.conversationId === active.id ? snapshot.unreadFrom.messageId : null}
                onAtBottom={(bottom) => controller.setAtBottom(active.id, bottom)}
                openThreadId={openRootId}
                onOpenThread={(rootId) => {
                  setShowMembers(false);
                  setSearching(null);
                  void controller.openThread(active.id, rootId);
                }}
                onDismissUnread={() => void controller.dismissUnread()}
                moderator={moderator}
                readOnly={Boolean(active.archived)}
                editRequest={editRequest}
                onEditRequestEnd={() => {
                  setEditRequest(null);
                  setFocusComposerOf(active.id);
                }}
              onRetry={(cmid) => void controller.retry(active.id, cmid)}
              onEdit={(id, body, mentions) => void controller.edit(id, body, mentions)}
              onReact={(id, emoji, add) => void controller.react(id, emoji, add)}
              userKey={`${me.tenantId}/${me.userId}`}
              user={(id) => controller.user(id)}
              api={api}
              highlightId={snapshot.highlightId}
              anchorId={snapshot.anchorId}
              usersVersion={snapshot.usersVersion}
              onDelete={(id) =>
                setConfirming({
                  title: "Delete this message?",
                  body: "Everyone in the conversation will see that it was deleted. This cannot be undone.",
                  confirmLabel: "Delete",
                  // The row's buttons go with the message: the keyboard goes to the composer.
                  action: () => void controller.remove(id).then(() => setFocusComposerOf(active.id)),
                })
              }
              />
            ) : (
              <div className="messages-region" data-testid="messages">
                <p className="older">Loading messages…</p>
              </div>
            )}
            {active.archived ? (
              <ArchivedNotice canUnarchive={manager} onUnarchive={() => void controller.updateChannel(active.id, { archived: false })} />
            ) : (
            <>
            <Composer
              key={`composer-${active.id}`}
              api={api}
              me={me.userId}
              draftOwner={`${me.tenantId}/${me.userId}`}
              conversationId={active.id}
              placeholder={`Message ${conversationTitle(active, me.userId)}`}
              onSend={(body, mentions, files) => void controller.send(body, mentions, files)}
              onPicked={(users) => controller.rememberUsers(users)}
              incomingFiles={dropped}
              onIncomingTaken={clearDropped}
              takeFocus={focusComposerOf === active.id}
              onFocusTaken={composerFocused}
              onEditLast={() => {
                const last = lastEditable(messages, me.userId);
                if (last) setEditRequest({ id: last.id, nonce: Date.now() });
                return Boolean(last);
              }}
              onTyping={() => controller.signals.composing(active.id)}
              presence={signals.presence}
              onShowUsers={showSuggested}
            />
            <TypingLine names={(signals.typing[active.id] ?? []).map((id) => controller.user(id)?.displayName ?? "Someone")} />
            </>
            )}
          </>
        ) : (
          <p className="empty">Join or create a channel to start.</p>
        )}
      </main>
      {openThread && active && (
        <ThreadPanel
          key={`${openThread.conversationId}/${openThread.rootId}/${openThread.key}`}
          api={api}
          me={me.userId}
          thread={openThread}
          view={controller.thread(openThread.conversationId, openThread.rootId)}
          title={activeTitle}
          user={(id) => controller.user(id)}
          usersVersion={snapshot.usersVersion}
          onClose={closeThread}
          onSend={(body, mentions, files, alsoInChannel) => controller.sendReply(body, mentions, files, alsoInChannel)}
          onPicked={(users) => controller.rememberUsers(users)}
          onRetry={(cmid) => controller.retry(openThread.conversationId, cmid)}
          onEdit={(id, body, mentions) => void controller.edit(id, body, mentions)}
          onDelete={(id) =>
            setConfirming({
              title: "Delete this message?",
              body: "Everyone in the conversation will see that it was deleted. This cannot be undone.",
              confirmLabel: "Delete",
              action: () => void controller.remove(id),
            })
          }
          onReact={(id, emoji, add) => void controller.react(id, emoji, add)}
          userKey={`${me.tenantId}/${me.userId}`}
          moderator={moderator}
          readOnly={Boolean(active.archived)}
          onFollow={(following) => void controller.setFollowing(following)}
          onLoadMore={() => void controller.loadMoreReplies()}
        />
      )}
      {searching && (
        <SearchPanel
          api={api}
          query={searching}
          onOpen={(r) => {
            setNavOpen(false);
            // A reply opens in the thread panel, which takes the search panel's place.
            if (r.message.threadRootId) {
              setSearching(null);
              setShowMembers(false);
            }
            void controller.openSearchHit(r);
          }}
          onClose={() => setSearching(null)}
          dmTitle={titleOf}
        />
      )}
      {showMembers && active && (active.kind !== "dm" || isGroupDm(active)) && (
        <MembersPanel
          api={api}
          conversation={active}
          me={me}
          controller={controller}
          onClose={() => setShowMembers(false)}
          onConfirm={setConfirming}
          onAddPeople={(people) => {
            setShowMembers(false);
            setComposing(people);
          }}
        />
      )}
      {composing && (
        <NewMessageDialog
          api={api}
          me={me.userId}
          initial={composing}
          onOpen={async (userIds) => {
            const opened = await controller.openGroupDm(userIds);
            if (opened) setFocusComposerOf(controller.getSnapshot().activeId);
            return opened;
          }}
          onClose={() => setComposing(null)}
        />
      )}
      {operations && <OperationsPanel api={api} onClose={() => setOperations(false)} />}
      {retention && (
        <RetentionPanel api={api} conversations={snapshot.conversations} onClose={() => setRetention(false)} onError={(m) => controller.toast(m, "error")} />
      )}
      {browsing && <ChannelBrowser api={api} controller={controller} onClose={() => setBrowsing(false)} />}
      {settings && active && manager && (
        <ChannelSettings
          key={active.id}
          channel={active}
          focus={settings}
          onRename={(name) => controller.updateChannel(active.id, { name })}
          onTopic={(topic) => controller.updateChannel(active.id, { topic })}
          onArchive={() => confirmArchive(active.id, activeTitle)}
          onUnarchive={() => controller.updateChannel(active.id, { archived: false })}
          onClose={() => setSettings(null)}
        />
      )}
      {confirming && <ConfirmDialog confirmation={confirming} onClose={() => setConfirming(null)} />}
      {switching && (
        <QuickSwitcher
          api={api}
          me={me.userId}
          conversations={snapshot.conversations}
          activeId={snapshot.activeId}
          onClose={() => setSwitching(false)}
          onOpen={(id) => {
            setSwitching(false);
            setNavOpen(false);
            pick(id);
            void controller.open(id).then(() => setFocusComposerOf(id));
          }}
          onOpenDm={(userId) => {
            setSwitching(false);
            setNavOpen(false);
            pick(null);
            void controller.openDm(userId).then(() => setFocusComposerOf(controller.getSnapshot().activeId));
          }}
        />
      )}
      {navOpen && <NavBackdrop onClose={() => setNavOpen(false)} />}
      <div className="toasts" aria-live="polite">
        {snapshot.toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" role={t.kind === "error" ? "alert" : "status"}>
            {t.text}
          </div>
        ))}
      </div>
    </div>
  );
}

/** A link to a conversation I am not in, or that does not exist (the server says the same of
 * both, so a private channel's existence is not given away). */
function Unavailable({ first, onOpen }: { first: { id: string; title: string } | null; onOpen: (id: string) => void }) {
  return (
    <div className="unavailable" role="status" data-testid="unavailable">
      <h3>You can't see this conversation</h3>
      <p>It may be private, you may have left it, or the link may be wrong. Ask someone in it to add you.</p>
      {first && (
        <button onClick={() => onOpen(first.id)} data-testid="unavailable-open">
          Go to {first.title}
        </button>
      )}
    </div>
  );
}

/** Behind the phone drawer: a tap outside or Escape closes it, and focus goes back to ☰. */
function NavBackdrop({ onClose }: { onClose: () => void }) {
  usePanel(onClose);
  return <div className="nav-backdrop" onClick={onClose} />;
}
