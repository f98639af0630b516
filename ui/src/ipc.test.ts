import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it } from 'vitest';
import { IpcFailure, isIpcError, listChats, readChat, sendReply, toIpcError } from './ipc';

describe('toIpcError', () => {
  it('keeps an IpcError from the shell as it is', () => {
    const error = toIpcError({ code: 'not_found', message: 'This chat no longer exists.', details: 'id=7' });
    expect(error).toBeInstanceOf(IpcFailure);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('This chat no longer exists.');
    expect(error.details).toBe('id=7');
    expect(isIpcError(error)).toBe(true);
  });

  it('replaces anything else with a sentence for a person and keeps the original in details', () => {
    for (const thrown of ['raw backend text', new Error('boom'), 42, null, { message: 'no code' }]) {
      const error = toIpcError(thrown);
      expect(error.code).toBe('internal');
      expect(error.message).toBe('Something went wrong. Please try again.');
    }
    expect(toIpcError('raw backend text').details).toBe('raw backend text');
    expect(toIpcError(new Error('boom')).details).toBe('boom');
  });

  it('does not show an empty message', () => {
    expect(toIpcError({ code: 'internal', message: '  ', details: null }).message).toBe(
      'Something went wrong. Please try again.',
    );
  });
});

describe('commands', () => {
  it('pass camelCase arguments and reject with IpcFailure', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'send_reply') throw { code: 'conflict', message: 'Chat completed.', details: null };
      if (cmd === 'list_chats') return [];
      return null;
    });
    try {
      await expect(listChats()).resolves.toEqual([]);
      await readChat('c1');
      await expect(sendReply('c1', 'hi')).rejects.toMatchObject({
        name: 'IpcFailure',
        code: 'conflict',
        message: 'Chat completed.',
      });
      expect(calls).toEqual([
        ['list_chats', {}],
        ['read_chat', { chatId: 'c1' }],
        ['send_reply', { chatId: 'c1', text: 'hi' }],
      ]);
    } finally {
      clearMocks();
    }
  });
});
