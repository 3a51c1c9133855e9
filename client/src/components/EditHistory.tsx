import { useEffect, useState } from "react";

import type { Api } from "../lib/api";
import type { UiMessage } from "../lib/store/messages";
import type { MessageVersion, UserProfile } from "../lib/types";
import { Modal } from "./Dialog";
import { MessageBody } from "./MessageBody";

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

interface Props {
  message: UiMessage;
  api: Api;
  me: string;
  user: (id: string) => UserProfile | undefined;
  onClose: () => void;
}

/** An edited message's text now and before, newest first, each with when it was written. */
export function EditHistory({ message, api, me, user, onClose }: Props) {
  const [versions, setVersions] = useState<MessageVersion[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    api
      .versions(message.conversationId, message.id)
      .then((page) => !cancelled && setVersions(page.items))
      .catch((e: unknown) => !cancelled && setFailed(e instanceof Error ? e.message : "could not load"));
    return () => {
      cancelled = true;
    };
  }, [api, message.conversationId, message.id]);
  const profiles = (ids: string[]) => ids.map((id) => user(id)).filter((u): u is UserProfile => Boolean(u));
  return (
    <Modal label="Edit history" onClose={onClose} testId="edit-history">
      <header>
        <h3>Edit history</h3>
        <button className="link" onClick={onClose} data-autofocus>
          Close
        </button>
      </header>
      <ol className="versions" aria-label="Versions, newest first">
        <li data-testid="version" data-current="true">
          <p className="muted version-time">Now · edited {when(message.editedAt ?? message.createdAt)}</p>
          <MessageBody body={message.body} mentioned={profiles(message.mentions)} me={me} user={user} />
        </li>
        {versions?.map((v) => (
          <li key={v.replacedAt} data-testid="version">
            <p className="muted version-time">{v.writtenAt === message.createdAt ? `Original · sent ${when(v.writtenAt)}` : `Written ${when(v.writtenAt)}`}</p>
            <MessageBody body={v.body} mentioned={profiles(v.mentions)} me={me} user={user} />
          </li>
        ))}
      </ol>
      {!versions && !failed && <p className="muted" role="status">Loading earlier versions…</p>}
      {failed && <p role="alert">Could not load the earlier versions: {failed}</p>}
      {versions?.length === 50 && <p className="muted">Only the 50 most recent earlier versions are kept.</p>}
    </Modal>
  );
}
