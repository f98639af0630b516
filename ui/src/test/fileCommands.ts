// The fake shell's file commands: sending a file, reading a stored attachment, retries.

import type { SendFile } from '../generated/ipc';
import { attachment, message } from './fixtures';
import { type Commands, failure, notFound, type ShellContext, UNHANDLED } from './shellContext';

export function fileCommands(ctx: ShellContext): Commands {
  const { shell, refuseClosedWindow } = ctx;
  const allMessages = () => [...shell.messages.values()].flat();
  return (cmd, args) => {
    switch (cmd) {
      case 'send_file': {
        const file = args['file'] as SendFile;
        if (!shell.chats.some((c) => c.id === file.chat_id)) throw notFound(file.chat_id);
        refuseClosedWindow(file.chat_id);
        const id = `a${ctx.nextId()}`;
        const sent = message({
          id: `m${ctx.nextId()}`,
          chat_id: file.chat_id,
          kind: 'outbound',
          text: file.caption,
          author: 'Operator',
          created_at: Date.now(),
          delivery: 'pending',
          attachments: [
            attachment({
              id,
              kind: file.kind,
              file_name: file.file_name,
              mime_type: file.mime_type,
              size: Math.floor((file.base64.length * 3) / 4),
            }),
          ],
        });
        shell.files.set(id, { id, kind: file.kind, file_name: file.file_name, mime_type: file.mime_type ?? 'application/octet-stream', base64: file.base64 });
        shell.messages.set(file.chat_id, [...(shell.messages.get(file.chat_id) ?? []), sent]);
        return structuredClone(sent);
      }
      case 'read_attachment': {
        const found = shell.files.get(String(args['attachmentId']));
        if (!found) throw failure('not_found', 'This file is not stored on this desktop.');
        return structuredClone(found);
      }
      case 'retry_message': {
        const found = allMessages().find((m) => m.id === args['messageId']);
        if (!found) throw failure('not_found', 'This message no longer exists.');
        if (!found.can_retry) throw failure('conflict', 'This message cannot be sent again.');
        found.delivery = 'pending';
        found.failure_reason = null;
        found.can_retry = false;
        return null;
      }
      case 'retry_attachment': {
        const found = allMessages()
          .flatMap((m) => m.attachments)
          .find((a) => a.id === args['attachmentId']);
        if (!found) throw failure('not_found', 'This file no longer exists.');
        found.state = 'pending';
        found.failure_reason = null;
        return null;
      }
      default:
        return UNHANDLED;
    }
  };
}
