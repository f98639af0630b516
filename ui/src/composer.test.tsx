import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { chat, fakeShell, message } from './test/backend';

function oneChat() {
  return fakeShell({
    chats: [chat({ id: 'c1', contact_name: 'Anna Petrova' })],
    messages: [message({ id: 'm1', chat_id: 'c1', text: 'Can you send the invoice?' })],
  });
}

async function openChat() {
  render(<App channelPollMs={0} />);
  await screen.findByTestId('composer-input');
  await waitFor(() => expect(screen.queryAllByTestId('message').length).toBeGreaterThan(0));
}

function choose(file: File) {
  fireEvent.change(screen.getByTestId('composer-file-input'), { target: { files: [file] } });
}

/** A file that says it is `size` bytes without holding them. */
function fileOfSize(name: string, type: string, size: number) {
  const file = new File(['x'], name, { type });
  Object.defineProperty(file, 'size', { value: size });
  return file;
}

function sendButton() {
  return screen.getByTestId('send-button') as HTMLButtonElement;
}

describe('composer: files', () => {
  it('opens the hidden file input from the paperclip', async () => {
    oneChat();
    await openChat();
    const input = screen.getByTestId('composer-file-input') as HTMLInputElement;
    expect(input.type).toBe('file');
    expect(input.hidden).toBe(true);
    const click = vi.spyOn(input, 'click');
    fireEvent.click(screen.getByTestId('composer-attach'));
    expect(click).toHaveBeenCalledTimes(1);
  });

  it('sends a document with its bytes as base64 and the text as its caption', async () => {
    const shell = oneChat();
    await openChat();
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10]);
    choose(new File([bytes], 'invoice 42.pdf', { type: 'application/pdf' }));
    const chip = screen.getByTestId('composer-file-chip');
    expect(within(chip).getByTestId('composer-file-name').textContent).toBe('invoice 42.pdf');
    expect(chip.textContent).toContain('7 B');
    expect(within(chip).queryByTestId('composer-send-as-photo')).toBeNull();
    expect(sendButton().disabled).toBe(false);

    fireEvent.change(screen.getByTestId('composer-input'), { target: { value: 'Your invoice' } });
    fireEvent.click(sendButton());
    await waitFor(() => expect(shell.callsOf('send_file')).toHaveLength(1));
    expect(shell.callsOf('send_file')[0]?.args).toEqual({
      file: {
        chat_id: 'c1',
        kind: 'document',
        file_name: 'invoice 42.pdf',
        mime_type: 'application/pdf',
        base64: 'JVBERgD/EA==',
        caption: 'Your invoice',
      },
    });
    expect(shell.callsOf('send_reply')).toHaveLength(0);
    await waitFor(() => expect(screen.queryByTestId('composer-file-chip')).toBeNull());
    expect((screen.getByTestId('composer-input') as HTMLTextAreaElement).value).toBe('');
    const sent = screen.getAllByTestId('message').at(-1) as HTMLElement;
    expect(sent.getAttribute('data-delivery')).toBe('pending');
    expect(within(sent).getByTestId('attachment-name').textContent).toBe('invoice 42.pdf');
    expect(within(sent).getByTestId('message-text').textContent).toBe('Your invoice');
  });

  it('sends a JPEG as a photo unless told otherwise', async () => {
    const shell = oneChat();
    await openChat();
    choose(new File([new Uint8Array([0xff, 0xd8, 0xff])], 'photo.jpg', { type: 'image/jpeg' }));
    const toggle = screen.getByTestId('composer-send-as-photo') as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    fireEvent.click(sendButton());
    await waitFor(() => expect(shell.callsOf('send_file')).toHaveLength(1));
    expect(shell.callsOf('send_file')[0]?.args['file']).toMatchObject({ kind: 'photo', base64: '/9j/', caption: '' });

    await waitFor(() => expect(screen.queryByTestId('composer-file-chip')).toBeNull());
    choose(new File([new Uint8Array([0x89, 0x50])], 'scan.png', { type: 'image/png' }));
    fireEvent.click(screen.getByTestId('composer-send-as-photo'));
    fireEvent.click(sendButton());
    await waitFor(() => expect(shell.callsOf('send_file')).toHaveLength(2));
    expect(shell.callsOf('send_file')[1]?.args['file']).toMatchObject({ kind: 'document', file_name: 'scan.png' });
  });

  it('offers no photo for images over 10 MB or of other types', async () => {
    oneChat();
    await openChat();
    choose(fileOfSize('huge.png', 'image/png', 11 * 1024 * 1024));
    expect(screen.getByTestId('composer-file-chip').textContent).toContain('11 MB');
    expect(screen.queryByTestId('composer-send-as-photo')).toBeNull();
    choose(new File(['GIF89a'], 'funny.gif', { type: 'image/gif' }));
    expect(screen.queryByTestId('composer-send-as-photo')).toBeNull();
  });

  it('refuses a file over 50 MB before reading it', async () => {
    const shell = oneChat();
    await openChat();
    const big = fileOfSize('backup.zip', 'application/zip', 51 * 1024 * 1024);
    const read = vi.spyOn(big, 'arrayBuffer');
    choose(big);
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('“backup.zip” is 51 MB: files up to 50 MB can be sent.');
    expect(screen.queryByTestId('composer-file-chip')).toBeNull();
    expect(read).not.toHaveBeenCalled();
    expect(shell.callsOf('send_file')).toHaveLength(0);
  });

  it('keeps a caption within 1024 characters', async () => {
    const shell = oneChat();
    await openChat();
    choose(new File(['a'], 'a.txt', { type: 'text/plain' }));
    expect(screen.getByTestId('composer-caption-counter').textContent).toBe('0 / 1024');
    fireEvent.change(screen.getByTestId('composer-input'), { target: { value: 'x'.repeat(1025) } });
    expect(screen.getByTestId('composer-caption-counter').textContent).toBe('A caption can be at most 1024 characters.');
    expect(sendButton().disabled).toBe(true);
    fireEvent.keyDown(screen.getByTestId('composer-input'), { key: 'Enter' });
    expect(shell.callsOf('send_file')).toHaveLength(0);
    fireEvent.change(screen.getByTestId('composer-input'), { target: { value: 'x'.repeat(1024) } });
    expect(sendButton().disabled).toBe(false);
  });

  it('keeps the file and shows the reason when the shell refuses it', async () => {
    const shell = oneChat();
    shell.override('send_file', () => {
      throw { code: 'invalid_input', message: 'Telegram takes photos up to 10 MB.', details: null };
    });
    await openChat();
    choose(new File(['a'], 'notes.txt', { type: 'text/plain' }));
    fireEvent.click(sendButton());
    expect((await screen.findByTestId('error-banner')).textContent).toContain('Telegram takes photos up to 10 MB.');
    expect(screen.getByTestId('composer-file-chip')).toBeTruthy();
  });

  it('attaches an image pasted into the reply box', async () => {
    oneChat();
    await openChat();
    const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'image.png', { type: 'image/png' });
    fireEvent.paste(screen.getByTestId('composer-input'), { clipboardData: { files: [image], items: [] } });
    expect(within(screen.getByTestId('composer-file-chip')).getByTestId('composer-file-name').textContent).toBe('image.png');
    expect((screen.getByTestId('composer-send-as-photo') as HTMLInputElement).checked).toBe(true);
  });
});
