import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import type { AttachmentData, MessageView } from './generated/ipc';
import { attachment, chat, fakeShell, message, NOW } from './test/backend';

// 1×1 transparent PNG, 68 bytes.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const XSS_NAME = '<img src=x onerror=alert(1)>.pdf';

let created: string[];
let revoked: string[];

beforeEach(() => {
  created = [];
  revoked = [];
  let n = 0;
  Object.defineProperty(URL, 'createObjectURL', {
    configurable: true,
    writable: true,
    value: vi.fn(() => {
      const url = `blob:http://localhost/${++n}`;
      created.push(url);
      return url;
    }),
  });
  Object.defineProperty(URL, 'revokeObjectURL', {
    configurable: true,
    writable: true,
    value: vi.fn((url: string) => revoked.push(url)),
  });
});

afterEach(() => {
  delete (URL as { createObjectURL?: unknown }).createObjectURL;
  delete (URL as { revokeObjectURL?: unknown }).revokeObjectURL;
});

function shellWith(messages: MessageView[], files: AttachmentData[] = []) {
  return fakeShell({
    chats: [chat({ id: 'c1', contact_name: 'Anna Petrova' }), chat({ id: 'c2', contact_name: 'John Smith', last_activity_at: NOW - 9e6 })],
    messages,
    files,
  });
}

async function bubble(id: string) {
  render(<App channelPollMs={0} />);
  await waitFor(() =>
    expect(screen.queryAllByTestId('message').some((m) => m.getAttribute('data-message-id') === id)).toBe(true),
  );
  const found = screen.getAllByTestId('message').find((m) => m.getAttribute('data-message-id') === id);
  if (!found) throw new Error(`no message ${id}`);
  return found;
}

describe('attachments in the conversation', () => {
  it('shows a stored photo as an image from a blob: URL of its bytes, with its caption, and revokes the URL', async () => {
    const shell = shellWith(
      [
        message({
          id: 'm1',
          chat_id: 'c1',
          text: 'The broken part',
          attachments: [attachment({ id: 'a1', kind: 'photo', mime_type: 'image/png', size: 70 })],
        }),
      ],
      [{ id: 'a1', kind: 'photo', file_name: null, mime_type: 'image/png', base64: PNG_BASE64 }],
    );
    const view = within(await bubble('m1'));
    const image = (await view.findByTestId('attachment-image')) as HTMLImageElement;
    expect(image.getAttribute('src')).toMatch(/^blob:/);
    expect(image.alt).toBe('Photo');
    const box = view.getByTestId('attachment');
    expect([box.getAttribute('data-kind'), box.getAttribute('data-state')]).toEqual(['photo', 'stored']);
    expect(view.getByTestId('message-text').textContent).toBe('The broken part');
    expect(shell.callsOf('read_attachment')).toEqual([{ cmd: 'read_attachment', args: { attachmentId: 'a1' } }]);
    const blob = vi.mocked(URL.createObjectURL).mock.calls[0]?.[0] as Blob;
    expect(blob.type).toBe('image/png');
    expect(blob.size).toBe(68);

    // Opening another chat unmounts the picture: its URL is let go.
    fireEvent.click(screen.getAllByTestId('chat-item')[1] as HTMLElement);
    await waitFor(() => expect(revoked).toEqual([image.getAttribute('src')]));
  });

  it('does not put bytes the shell does not label as an image into an <img>', async () => {
    shellWith(
      [message({ id: 'm1', chat_id: 'c1', text: '', attachments: [attachment({ id: 'a1', kind: 'sticker', mime_type: null })] })],
      [{ id: 'a1', kind: 'sticker', file_name: 'sticker.tgs', mime_type: 'application/octet-stream', base64: 'H4sIAAAA' }],
    );
    const view = within(await bubble('m1'));
    expect((await view.findByTestId('attachment-save')).textContent).toBe('Save');
    expect(view.queryByTestId('attachment-image')).toBeNull();
    expect(created).toEqual([]);
    expect(view.queryByTestId('message-text')).toBeNull();
  });

  it('renders a customer\'s file name as text and saves the file through a download link', async () => {
    const shell = shellWith(
      [
        message({
          id: 'm1',
          chat_id: 'c1',
          text: '',
          attachments: [
            attachment({ id: 'a1', kind: 'document', file_name: XSS_NAME, mime_type: 'application/pdf', size: 1536 * 1024 }),
          ],
        }),
      ],
      [{ id: 'a1', kind: 'document', file_name: XSS_NAME, mime_type: 'application/octet-stream', base64: 'JVBERi0=' }],
    );
    const clicks: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this);
    });
    const node = await bubble('m1');
    const view = within(node);
    expect(view.getByTestId('attachment-name').textContent).toBe(XSS_NAME);
    expect(node.querySelector('img')).toBeNull();
    expect(node.textContent).toContain('1.5 MB');
    expect(shell.callsOf('read_attachment')).toHaveLength(0);

    fireEvent.click(view.getByTestId('attachment-save'));
    await waitFor(() => expect(clicks).toHaveLength(1));
    const link = clicks[0] as HTMLAnchorElement;
    expect(link.href).toMatch(/^blob:/);
    expect(link.download).toBe('_img src=x onerror=alert(1)_.pdf');
    const blob = vi.mocked(URL.createObjectURL).mock.calls[0]?.[0] as Blob;
    expect(blob.type).toBe('application/octet-stream');
    expect(blob.size).toBe(5);
    expect(document.body.contains(link)).toBe(false);
  });

  it('shows a file still on its way, and a failed one with its reason and "Download again"', async () => {
    const shell = shellWith([
      message({
        id: 'm1',
        chat_id: 'c1',
        text: '',
        attachments: [
          attachment({ id: 'a1', kind: 'voice', state: 'pending', mime_type: 'audio/ogg', size: 4000 }),
          attachment({
            id: 'a2',
            kind: 'photo',
            state: 'failed',
            failure_reason: 'Telegram no longer has this file.',
          }),
        ],
      }),
    ]);
    const view = within(await bubble('m1'));
    const [pending, failed] = view.getAllByTestId('attachment') as [HTMLElement, HTMLElement];
    expect(pending.getAttribute('data-state')).toBe('pending');
    expect(pending.textContent).toContain('Voice message');
    expect(pending.textContent).toContain('Downloading…');
    expect(failed.getAttribute('data-state')).toBe('failed');
    expect(failed.textContent).toContain('Telegram no longer has this file.');
    expect(view.queryByTestId('attachment-image')).toBeNull();

    const reads = shell.callsOf('read_chat').length;
    fireEvent.click(within(failed).getByTestId('attachment-retry'));
    await waitFor(() => expect(shell.callsOf('read_chat').length).toBeGreaterThan(reads));
    expect(shell.callsOf('retry_attachment')).toEqual([{ cmd: 'retry_attachment', args: { attachmentId: 'a2' } }]);
    await waitFor(() =>
      expect(screen.getAllByTestId('attachment').map((a) => a.getAttribute('data-state'))).toEqual(['pending', 'pending']),
    );
  });
});

describe('edits, failures and retries', () => {
  it('marks an edited message with the time of the edit', async () => {
    const editedAt = NOW - 30_000;
    shellWith([message({ id: 'm1', chat_id: 'c1', text: 'Order 1234 (not 1243)', edited_at: editedAt })]);
    const edited = within(await bubble('m1')).getByTestId('message-edited');
    expect(edited.textContent).toBe('edited');
    expect(edited.getAttribute('title')).toMatch(/^Edited /);
  });

  it('shows why an outbound message failed and sends it again', async () => {
    const shell = shellWith([
      message({
        id: 'm1',
        chat_id: 'c1',
        kind: 'outbound',
        author: 'Operator',
        text: 'Here is the invoice',
        delivery: 'failed',
        failure_reason: 'Telegram is unreachable.',
        can_retry: true,
      }),
      message({
        id: 'm2',
        chat_id: 'c1',
        kind: 'outbound',
        author: 'Operator',
        text: 'Blocked',
        delivery: 'failed',
        failure_reason: 'The customer blocked the bot.',
        can_retry: false,
      }),
    ]);
    const node = await bubble('m1');
    expect(within(node).getByTestId('message-failure').textContent).toBe('Telegram is unreachable.');
    const blocked = screen.getAllByTestId('message')[1] as HTMLElement;
    expect(within(blocked).getByTestId('message-failure').textContent).toBe('The customer blocked the bot.');
    expect(within(blocked).queryByTestId('message-retry')).toBeNull();

    fireEvent.click(within(node).getByTestId('message-retry'));
    await waitFor(() => expect(screen.getAllByTestId('message')[0]?.getAttribute('data-delivery')).toBe('pending'));
    expect(shell.callsOf('retry_message')).toEqual([{ cmd: 'retry_message', args: { messageId: 'm1' } }]);
    expect(within(screen.getAllByTestId('message')[0] as HTMLElement).queryByTestId('message-retry')).toBeNull();
  });

  it('says quietly why a pending message is waiting', async () => {
    shellWith([
      message({
        id: 'm1',
        chat_id: 'c1',
        kind: 'outbound',
        author: 'Operator',
        text: 'One moment',
        delivery: 'pending',
        failure_reason: 'Telegram asked to slow down; retrying in 3 s.',
      }),
    ]);
    const node = await bubble('m1');
    expect(within(node).getByTestId('message-waiting').textContent).toBe(
      'waiting: Telegram asked to slow down; retrying in 3 s.',
    );
    expect(within(node).queryByTestId('message-failure')).toBeNull();
  });
});
