import { useEffect, useState } from "react";

import type { Api } from "../lib/api";
import { formatSize } from "../lib/uploads";
import type { Attachment } from "../lib/types";

const INLINE_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"];

/** Name, size and a download link; safe image types get a preview. URLs are fetched on demand
 * (a link cannot carry the bearer token) and are short-lived. */
export function AttachmentView({ attachment, api }: { attachment: Attachment; api: Api }) {
  const pending = attachment.id.startsWith("pending-");
  const isImage = INLINE_IMAGES.includes(attachment.contentType);
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => {
    if (pending || !isImage) return;
    let cancelled = false;
    api
      .attachmentUrl(attachment.id)
      .then(({ url }) => !cancelled && setPreview(url))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [api, attachment.id, isImage, pending]);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  // The presigned URL is another origin on AWS (S3), where `download` on a link is ignored and
  // the browser would navigate away: fetch it into a blob and save that under the file's name.
  const download = async () => {
    setDownloadError(null);
    try {
      const { url } = await api.attachmentUrl(attachment.id);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blob = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = blob;
      link.download = attachment.name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(blob), 10_000);
    } catch (e) {
      setDownloadError(e instanceof Error ? e.message : "download failed");
    }
  };
  return (
    <div className="attachment" data-testid="attachment">
      {preview && <img src={preview} alt={attachment.name} className="preview" data-testid="attachment-preview" />}
      <span className="attachment-name">{attachment.name}</span>
      <span className="muted">{formatSize(attachment.size)}</span>
      {!pending && (
        <button className="link" onClick={() => void download()} data-testid="attachment-download">
          Download
        </button>
      )}
      {downloadError && (
        <span className="error" role="alert">
          Could not download: {downloadError}
        </span>
      )}
    </div>
  );
}
