import { useCallback, useEffect, useState } from "react";

import type { Api } from "../lib/api";
import type { ChatController } from "../lib/chat-controller";
import { dmTitle } from "../lib/dm-names";
import type { ConversationSummary, Me, MemberView, UserProfile } from "../lib/types";
import { usePanel, type Confirmation } from "./Dialog";
import { UserPicker } from "./Sidebar";
import { PresenceDot, useSignals } from "./Presence";

/** Who is in a channel; invite and remove. In private channels only channel admins may; the
 * server enforces it. A group DM's people are fixed: "Add people" starts a new DM with them all. */
export function MembersPanel({
  api,
  conversation,
  me,
  controller,
  onClose,
  onConfirm,
  onAddPeople,
}: {
  api: Api;
  conversation: ConversationSummary;
  me: Me;
  controller: ChatController;
  onClose: () => void;
  onConfirm: (c: Confirmation) => void;
  /** DMs: open "New message" with these people chosen. */
  onAddPeople: (people: UserProfile[]) => void;
}) {
  usePanel(onClose);
  const signals = useSignals(controller.signals);
  const [members, setMembers] = useState<MemberView[]>([]);
  // The server pages members (a channel may have thousands); more load on request.
  const [nextCursor, setNextCursor] = useState<string | undefined>();
  const dm = conversation.kind === "dm";
  const isAdmin = !dm && (conversation.role === "admin" || me.roles.includes("tenant-admin"));
  const canInvite = conversation.kind === "public" || isAdmin;
  const load = useCallback(() => {
    api
      .members(conversation.id)
      .then(({ items, nextCursor }) => {
        setMembers(items);
        setNextCursor(nextCursor);
      })
      .catch(() => {
        setMembers([]);
        setNextCursor(undefined);
      });
  }, [api, conversation.id]);
  const loadMore = () => {
    if (!nextCursor) return;
    api
      .members(conversation.id, nextCursor)
      .then(({ items, nextCursor }) => {
        setMembers((had) => [...had, ...items.filter((m) => !had.some((h) => h.id === m.id))]);
        setNextCursor(nextCursor);
      })
      .catch(() => undefined);
  };
  useEffect(load, [load, conversation.lastSeq]);
  // The members on screen are the presence this panel asks for (none once it closes).
  const memberKey = members.map((m) => m.id).join(",");
  useEffect(() => {
    controller.signals.show("members", memberKey ? memberKey.split(",") : []);
    return () => controller.signals.show("members", []);
  }, [controller, memberKey]);
  // Pages come in user-id order; people read admins first, then names.
  const shown = [...members].sort(
    (a, b) => Number(b.role === "admin") - Number(a.role === "admin") || a.displayName.localeCompare(b.displayName),
  );
  return (
    <aside className="members" data-testid="members-panel">
      <header>
        <h3>{dm ? "People here" : `Members of #${conversation.name ?? ""}`}</h3>
        <button className="link" onClick={onClose}>
          Close
        </button>
      </header>
      <ul className="member-list">
        {shown.map((m) => (
          <li key={m.id} data-testid="member">
            <span>
              <PresenceDot name={m.displayName} status={m.id === me.userId ? signals.myStatus : signals.presence[m.id]} />
              {m.displayName} <span className="muted">@{m.handle}</span> {m.role === "admin" && <span className="badge-role">admin</span>}
            </span>
            {isAdmin && m.id !== me.userId && (
              <button
                className="link"
                onClick={() =>
                  onConfirm({
                    title: `Remove ${m.displayName}?`,
                    body: `${m.displayName} will no longer see new messages in #${conversation.name ?? ""}.`,
                    confirmLabel: "Remove",
                    action: () => void controller.removeMember(conversation.id, m.id).then(load),
                  })
                }
                data-testid={`remove-${m.id}`}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {nextCursor && (
        <button className="link" onClick={loadMore} data-testid="members-more">
          Show more members
        </button>
      )}
      {dm ? (
        <>
          <p className="muted">Everyone here sees the whole conversation. To add someone, start a new one with them too.</p>
          <button
            onClick={() => onAddPeople(conversation.members?.filter((m) => m.id !== me.userId) ?? [])}
            aria-label={`Add people: a new conversation with ${dmTitle(conversation, me.userId)} and more`}
            data-testid="add-people"
          >
            Add people…
          </button>
        </>
      ) : canInvite ? (
        <UserPicker api={api} me={me.userId} label="Invite someone…" onPick={(u) => void controller.invite(conversation.id, u.id).then(load)} testId="invite-search" />
      ) : (
        <p className="muted">Only channel admins can invite to a private channel.</p>
      )}
    </aside>
  );
}
