import { useEffect, useState } from 'react';
import type { AttachmentView } from '../generated/ipc';
import { downloadName, blobFromBase64, isImageType, saveBytes } from '../files';
import { errorMessage, readAttachment, retryAttachment } from '../ipc';
import { t, type MessageKey } from '../i18n';
import { FileChip } from './FileChip';

const kindKeys: Record<AttachmentView['kind'], MessageKey> = {
  photo: 'attachment.kind.photo',
  document: 'attachment.kind.document',
  voice: 'attachment.kind.voice',
  sticker: 'attachment.kind.sticker',
};

/** The name to show: the customer's file name, or what the file is. */
function displayName(attachment: AttachmentView): string {
  const name = attachment.file_name?.trim();
  return name ? name : t(kindKeys[attachment.kind]);
}

type Picture = { state: 'loading' } | { state: 'shown'; url: string } | { state: 'not-image' } | { state: 'error'; reason: string };

/**
 * Reads a stored picture's bytes and makes a blob: URL of them, only when the shell labels them
 * as an image type; the URL is revoked when the picture leaves the screen.
 */
function usePicture(attachmentId: string): Picture {
  const [picture, setPicture] = useState<Picture>({ state: 'loading' });

  useEffect(() => {
    let live = true;
    let url: string | null = null;
    setPicture({ state: 'loading' });
    readAttachment(attachmentId)
      .then((data) => {
        if (!live) return;
        if (!isImageType(data.mime_type)) {
          setPicture({ state: 'not-image' });
          return;
        }
        url = URL.createObjectURL(blobFromBase64(data.base64, data.mime_type));
        setPicture({ state: 'shown', url });
      })
      .catch((failure: unknown) => {
        if (live) setPicture({ state: 'error', reason: errorMessage(failure) });
      });
    return () => {
      live = false;
      if (url !== null) URL.revokeObjectURL(url);
    };
  }, [attachmentId]);

  return picture;
}

/** "Save": reads the bytes and hands them to the webview's download. */
function SaveButton({ attachment }: { attachment: AttachmentView }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = displayName(attachment);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = await readAttachment(attachment.id);
      saveBytes(data.base64, downloadName(data.file_name ?? attachment.file_name, name));
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="attachment__button"
        data-testid="attachment-save"
        aria-label={t('attachment.saveLabel', { name })}
        disabled={busy}
        onClick={() => void save()}
      >
        {busy ? t('attachment.loading') : t('attachment.save')}
      </button>
      {error !== null && (
        <span className="attachment__error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

function StoredPicture({ attachment }: { attachment: AttachmentView }) {
  const picture = usePicture(attachment.id);
  const name = displayName(attachment);
  switch (picture.state) {
    case 'loading':
      return <div className={`attachment__placeholder attachment__placeholder--${attachment.kind}`}>{t('attachment.loading')}</div>;
    case 'shown':
      return (
        <img
          className={`attachment__image attachment__image--${attachment.kind}`}
          data-testid="attachment-image"
          src={picture.url}
          alt={name}
          title={attachment.file_name ?? undefined}
          draggable={false}
        />
      );
    case 'not-image':
      // An animated sticker or a picture the webview should not render: offer the file instead.
      return (
        <FileChip kind={attachment.kind} name={name} size={attachment.size}>
          <SaveButton attachment={attachment} />
        </FileChip>
      );
    case 'error':
      return (
        <FileChip kind={attachment.kind} name={name} size={attachment.size}>
          <span className="attachment__error" role="alert">
            {picture.reason}
          </span>
        </FileChip>
      );
  }
}

interface AttachmentProps {
  attachment: AttachmentView;
  /** After "Download again": the conversation is reloaded to show the new state. */
  onChanged: () => void;
}

/**
 * One file of a message: a stored photo or sticker as a picture, any other stored file as a chip
 * with Save, a file still on its way as "Downloading…", a failed one with its reason and
 * "Download again".
 */
export function Attachment({ attachment, onChanged }: AttachmentProps) {
  const [retrying, setRetrying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = displayName(attachment);
  const picture = (attachment.kind === 'photo' || attachment.kind === 'sticker') &&
    (attachment.mime_type === null || isImageType(attachment.mime_type));

  const retry = async () => {
    setRetrying(true);
    setError(null);
    try {
      await retryAttachment(attachment.id);
      onChanged();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setRetrying(false);
    }
  };

  let body;
  if (attachment.state === 'pending') {
    body = (
      <FileChip kind={attachment.kind} name={name} size={attachment.size}>
        <span className="attachment__state">{t('attachment.downloading')}</span>
      </FileChip>
    );
  } else if (attachment.state === 'failed') {
    body = (
      <FileChip kind={attachment.kind} name={name} size={attachment.size}>
        <span className="attachment__failure">{attachment.failure_reason || t('attachment.failed')}</span>
        <button
          type="button"
          className="attachment__button"
          data-testid="attachment-retry"
          disabled={retrying}
          onClick={() => void retry()}
        >
          {t('attachment.retry')}
        </button>
        {error !== null && (
          <span className="attachment__error" role="alert">
            {error}
          </span>
        )}
      </FileChip>
    );
  } else if (picture) {
    body = <StoredPicture attachment={attachment} />;
  } else {
    body = (
      <FileChip kind={attachment.kind} name={name} size={attachment.size}>
        <SaveButton attachment={attachment} />
      </FileChip>
    );
  }

  return (
    <div className={`attachment attachment--${attachment.kind}`} data-testid="attachment" data-kind={attachment.kind} data-state={attachment.state}>
      {body}
    </div>
  );
}
