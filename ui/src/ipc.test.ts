import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it } from 'vitest';
import { DATABASE_CHANGED_EVENT, type SharedDatabaseView } from './generated/ipc';
import {
  acceptChat,
  connectSharedDatabase,
  leaveSharedDatabase,
  onDatabaseChanged,
  restartApp,
  sharedDatabase,
  testSharedDatabase,
  addTelegramChannel,
  readAttachment,
  replaceChannelToken,
  restartChannel,
  retryAttachment,
  retryMessage,
  sendFile,
  updateChannel,
  completeChat,
  createQueue,
  declineChat,
  explainRouting,
  IpcFailure,
  isIpcError,
  listChats,
  listOperators,
  listQueues,
  messengerWebhook,
  myStatus,
  passThreadBack,
  readChat,
  sendReply,
  setMyStatus,
  takeThread,
  toIpcError,
  transferToOperator,
  transferToQueue,
} from './ipc';

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

describe('routing and designer commands', () => {
  it('use the shell command names and camelCase arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    try {
      await acceptChat('c1');
      await declineChat('c2');
      await completeChat('c3');
      await transferToQueue('c4', 'q1');
      await transferToOperator('c5', 'op2');
      await myStatus();
      await setMyStatus('inactive');
      await listQueues();
      await createQueue({ name: 'VIP', rule: 'freest', completion_timeout_min: null });
      await listOperators();
      await explainRouting('c6');
      expect(calls).toEqual([
        ['accept_chat', { chatId: 'c1' }],
        ['decline_chat', { chatId: 'c2' }],
        ['complete_chat', { chatId: 'c3' }],
        ['transfer_to_queue', { chatId: 'c4', queueId: 'q1' }],
        ['transfer_to_operator', { chatId: 'c5', operatorId: 'op2' }],
        ['my_status', {}],
        ['set_my_status', { status: 'inactive' }],
        ['list_queues', {}],
        ['create_queue', { queue: { name: 'VIP', rule: 'freest', completion_timeout_min: null } }],
        ['list_operators', {}],
        ['explain_routing', { chatId: 'c6' }],
      ]);
    } finally {
      clearMocks();
    }
  });
});

describe('channel and file commands', () => {
  it('use the shell command names and camelCase arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    try {
      await addTelegramChannel({ token: '1:a', queue_id: null, api_base: null });
      await updateChannel('ch1', { name: null, active: false, queue_id: null, language: null, human_agent: null });
      await replaceChannelToken('ch1', '1:b');
      await restartChannel('ch1');
      const file = { chat_id: 'c1', kind: 'document' as const, file_name: 'a.txt', mime_type: null, base64: 'YQ==', caption: '' };
      await sendFile(file);
      await readAttachment('a1');
      await retryMessage('m1');
      await retryAttachment('a2');
      expect(calls).toEqual([
        ['add_telegram_channel', { channel: { token: '1:a', queue_id: null, api_base: null } }],
        ['update_channel', { channelId: 'ch1', changes: { name: null, active: false, queue_id: null, language: null, human_agent: null } }],
        ['replace_channel_token', { channelId: 'ch1', token: '1:b' }],
        ['restart_channel', { channelId: 'ch1' }],
        ['send_file', { file }],
        ['read_attachment', { attachmentId: 'a1' }],
        ['retry_message', { messageId: 'm1' }],
        ['retry_attachment', { attachmentId: 'a2' }],
      ]);
    } finally {
      clearMocks();
    }
  });
});

describe('Messenger commands', () => {
  it('use the shell command names and camelCase arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    try {
      await messengerWebhook();
      await takeThread('c1');
      await passThreadBack('c2');
      expect(calls).toEqual([
        ['messenger_webhook', {}],
        ['take_thread', { chatId: 'c1' }],
        ['pass_thread_back', { chatId: 'c2' }],
      ]);
    } finally {
      clearMocks();
    }
  });
});

describe('shared database commands', () => {
  it('use the shell command names and send the login as one argument', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    const login = { address: 'db.example.com:5432/switchboard', user: 'ann', password: 'pw' };
    try {
      await sharedDatabase();
      await testSharedDatabase(login);
      await connectSharedDatabase(login);
      await leaveSharedDatabase();
      await restartApp();
      expect(calls).toEqual([
        ['shared_database', {}],
        ['test_shared_database', { login }],
        ['connect_shared_database', { login }],
        ['leave_shared_database', {}],
        ['restart_app', {}],
      ]);
    } finally {
      clearMocks();
    }
  });

  it('passes a database-changed view on, and null for a payload that is not one', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const seen: Array<SharedDatabaseView | null> = [];
    const view: SharedDatabaseView = {
      mode: 'shared',
      address: 'db:5432/sb',
      user: 'ann',
      operator_name: 'Ann',
      connection: { state: 'offline', reason: 'no route to host' },
      pending_changes: 2,
      restart_required: false,
      problem: null,
    };
    try {
      const stop = await onDatabaseChanged((next) => seen.push(next));
      await emit(DATABASE_CHANGED_EVENT, view);
      await emit(DATABASE_CHANGED_EVENT, { mode: 'shared' });
      await emit(DATABASE_CHANGED_EVENT);
      stop();
      expect(seen).toEqual([view, null, null]);
    } finally {
      clearMocks();
    }
  });
});
